# tests: adam, learning-rate schedules, and a training run with both. The
# comparisons with PyTorch run when /usr/bin/python3 imports torch.
TORCH_RUN_SOURCES = t/torch-run.c t/torch-run.h
check_PROGRAMS += t/test-adam t/test-schedule
TESTS += t/test-adam t/test-schedule t/schedule-manifest.sh t/adam-train.sh
EXTRA_DIST += t/schedule-manifest.sh t/adam-train.sh
t_test_adam_SOURCES = t/test-adam.c $(TORCH_RUN_SOURCES) $(TEST_UTIL_SOURCES)
t_test_adam_LDADD = $(CNN_TEST_LIBS)
t_test_schedule_SOURCES = t/test-schedule.c $(TORCH_RUN_SOURCES) t/tap.h
t_test_schedule_LDADD = $(CNN_TEST_LIBS)
