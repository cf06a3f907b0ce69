/* placeholder until the trainer lands */ int tr_trainer_placeholder;
