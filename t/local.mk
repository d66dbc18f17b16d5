# Tests. Each C test is a TAP program linked against libcnnlab; plugins
# are loaded from the build tree through the real module loader.
CNN_TEST_LIBS = $(CNN_INTERNAL_LIBS) $(LIBM)
