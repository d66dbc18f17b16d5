# Bash completion for cnnlab (completion/cnnlab, docs/cli.md),
# installed where bash-completion loads it on demand by the command's
# name; and the command line's documentation.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completion/cnnlab
dist_doc_DATA += docs/cli.md
include $(srcdir)/t/cli-habits.mk
