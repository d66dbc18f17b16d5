# tests: safetensors
# Checkpoint files and atomic writes. t/test-safetensors doubles as the
# helper of t/safetensors-python.sh (--write PATH, --read PATH [KEY...]).
check_PROGRAMS += t/test-safetensors t/test-atomic-file
TESTS += t/test-safetensors t/test-atomic-file t/safetensors-python.sh
EXTRA_DIST += t/safetensors-python.sh
t_test_safetensors_SOURCES = t/test-safetensors.c t/tap.h
t_test_safetensors_LDADD = $(CNN_TEST_LIBS)
t_test_atomic_file_SOURCES = t/test-atomic-file.c t/tap.h
t_test_atomic_file_LDADD = $(CNN_TEST_LIBS)
