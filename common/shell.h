/* Words for a shell: quoting a string so that bash reads it back as exactly that one
 * word, whatever it holds (spaces, quotes, $, backticks, newlines). Generated scripts
 * (sweep.sbatch) pass every interpolated word through it. */
#ifndef TR_SHELL_H
#define TR_SHELL_H

/* s as one bash word, malloc'd (NULL on ENOMEM, recorded): '...' when s has no control
 * characters (a ' written '\''), else $'...' with \n, \t, \\, \' and \xHH escapes, so
 * the result never holds a raw newline (safe in a comment line too). */
char *sh_quote(const char *s);
#endif
