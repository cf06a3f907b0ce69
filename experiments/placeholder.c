/* placeholder */ int tr_experiments_placeholder;
