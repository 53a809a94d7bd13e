/* SPDX-License-Identifier: GPL-2.0-only */
/* stands in for the kernel's <linux/bootmem_info.h>: see kernel_internal.h */
#include "../../kernel_internal.h"
