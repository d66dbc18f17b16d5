/* cnnlab — what the atomic writer tells the rest of the core. */
#ifndef CNNLAB_CORE_ATOMIC_INTERNAL_H
#define CNNLAB_CORE_ATOMIC_INTERNAL_H

#include <sys/types.h>

/* 1 when this process is writing the temporary with this device and
 * inode now (opened by cnn_atomic_open, not yet committed or aborted). */
int cnn_atomic_temporary_in_use(dev_t device, ino_t inode);

#endif
