#include <stdio.h>
int main(void) { puts("tradeoff: skeleton"); return 0; }
