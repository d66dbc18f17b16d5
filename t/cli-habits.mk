# tests: the command line's habits (docs/cli.md): the progress line, --json
# events, NO_COLOR, --quiet, `cnnlab compare`, bash completion.
check_PROGRAMS += t/test-cli-progress
t_test_cli_progress_SOURCES = t/test-cli-progress.c core/cli/cli_progress.c \
	core/cli/cli_output.h
TESTS += t/test-cli-progress t/cli-habits.sh t/cli-completion.sh \
	t/compare-damaged.sh
EXTRA_DIST += t/cli-habits.sh t/cli-completion.sh t/compare-damaged.sh
