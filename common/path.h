/* Paths built from parts, the one way: "DIR/NAME" joins and the default output
 * directory of a subcommand (runs/<file name without directory and extension>). */
#ifndef TR_PATH_H
#define TR_PATH_H

/* dir + "/" + name (just name when dir is "" ), malloc'd; NULL on ENOMEM (recorded). */
char *path_join(const char *dir, const char *name);
/* path_join of three parts: a/b/c. */
char *path_join3(const char *a, const char *b, const char *c);

/* The name of file without its directories and its last extension ("configs/demo.ini"
 * -> "demo"; a leading dot is kept), malloc'd; NULL on ENOMEM (recorded). */
char *path_stem(const char *file);

/* "runs/" + path_stem(file) + suffix, malloc'd; NULL on ENOMEM (recorded). The name can
 * never leave runs/: a stem that is empty, "." or ".." (a file named "...ini") becomes
 * "unnamed", and characters other than letters, digits, '.', '-', '_' and '+' become
 * '_' (no separators, no control characters in a directory name). */
char *path_default_out(const char *file, const char *suffix);
#endif
