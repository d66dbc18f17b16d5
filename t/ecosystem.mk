# tests: the ecosystem — installing, out-of-tree plugins built against the
# installed tree (t/examples.sh, with t/plugin-layer-check for the layer's
# numbers), the generated component reference (t/reference.sh) and the
# man pages (t/man.sh).
check_PROGRAMS += t/plugin-layer-check
t_plugin_layer_check_SOURCES = t/plugin-layer-check.c \
	t/layer-harness.c t/layer-harness.h t/tap.h
t_plugin_layer_check_LDADD = $(CNN_TEST_LIBS)
TESTS += t/examples.sh t/reference.sh t/man.sh
EXTRA_DIST += t/examples.sh t/reference.sh t/man.sh
# Where `make install` puts things, for t/examples.sh.
AM_TESTS_ENVIRONMENT += \
	CNNLAB_BINDIR='$(bindir)'; CNNLAB_LIBDIR='$(libdir)'; \
	CNNLAB_PKGLIBDIR='$(pkglibdir)'; CNNLAB_INCLUDEDIR='$(includedir)'; \
	CNNLAB_MANDIR='$(mandir)'; CNNLAB_PKGDATADIR='$(pkgdatadir)'; \
	CNNLAB_DOCDIR='$(docdir)'; CNNLAB_NVCC='$(NVCC)'; \
	export CNNLAB_BINDIR CNNLAB_LIBDIR CNNLAB_PKGLIBDIR CNNLAB_INCLUDEDIR \
	CNNLAB_MANDIR CNNLAB_PKGDATADIR CNNLAB_DOCDIR CNNLAB_NVCC;

# `make installcheck` (distcheck runs it on its --prefix): the examples
# against the installed tree as it is, with no CNNLAB_BUILD_PLUGIN_DIR, so
# the installed cnnlab must find its own plugins.
installcheck-local: t/plugin-layer-check$(EXEEXT)
	@$(AM_TESTS_ENVIRONMENT) CNNLAB_INSTALLED=yes; export CNNLAB_INSTALLED; \
	$(SHELL) $(srcdir)/t/examples.sh > t/examples-installed.log 2>&1; \
	status=$$?; \
	if [ $$status -ne 0 ] || grep -q '^not ok' t/examples-installed.log; then \
	  cat t/examples-installed.log; \
	  echo "installcheck: FAIL: t/examples.sh against $(prefix)"; exit 1; \
	fi; \
	echo "installcheck: PASS: t/examples.sh against $(prefix)" \
	  "($$(grep -c '^ok' t/examples-installed.log) checks)"
CLEANFILES += t/examples-installed.log

# Rewrites docs/reference.md from the built plugins (t/reference.sh says
# when it is due).
update-reference: cnnlab$(EXEEXT) $(pkglib_LTLIBRARIES)
	env -u CNNLAB_PLUGIN_PATH \
	  CNNLAB_BUILD_PLUGIN_DIR='$(abs_top_builddir)/plugins/.libs' \
	  ./cnnlab$(EXEEXT) plugins --markdown > $(srcdir)/docs/reference.md.tmp
	mv $(srcdir)/docs/reference.md.tmp $(srcdir)/docs/reference.md
.PHONY: update-reference
