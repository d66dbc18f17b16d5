# Tools for trying cnnlab; built by `make`, not installed.
# make-imagefolder writes a mini-ImageNet-shaped JPEG folder from
# Fashion-MNIST or synthetic images (scripts/make-imagefolder runs it).
# Included after bench/local.mk, which starts noinst_PROGRAMS.
noinst_PROGRAMS += tools/make-imagefolder
tools_make_imagefolder_SOURCES = tools/make-imagefolder.c
tools_make_imagefolder_LDADD = $(CNN_INTERNAL_LIBS) -ljpeg
EXTRA_DIST += scripts/make-imagefolder
