/* Labels of a classification data set: the one limit on the number of distinct label
 * values (classes) that io/, the trainer and the CLI share. The label encoding (distinct
 * values to class indices) is to join it here. */
#ifndef TR_LABELS_H
#define TR_LABELS_H

/* At most this many distinct label values make a classification task: `tradeoff info`
 * counts labels up to it, training accepts no more, `gen` makes no more. */
#define LABELS_MAX_CLASSES 1000
#endif
