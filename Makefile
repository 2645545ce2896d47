# SPDX-License-Identifier: GPL-2.0
#
# make            khugehog.ko against KDIR, and the userspace programs
# make demo       the on-demand vs manual compaction experiment in a guest
# make check      every test suite; ends with "N passed, N failed, N skipped"

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= debian-6.1
MODES ?= ondemand manual
RUN ?= $(shell date +%Y%m%d-%H%M%S)-$(KERNEL)
PYTHON ?= python3
VMFLAGS ?=

.PHONY: all module userspace deps demo analyze check clean

all: userspace module

module:
	@test -f $(KDIR)/Makefile || { \
		echo "No kernel build tree at $(KDIR): install linux-headers-$$(uname -r)," \
		     "or pass KDIR=/path/to/build (scripts/kernel-fetch.sh fetches Debian's)." >&2; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

deps:
	scripts/deps.sh

# RUN is evaluated once, so the guest and the analysis see the same name.
demo: RUN := $(RUN)
demo: deps
	scripts/vm-run.sh --kernel $(KERNEL) --out results/$(RUN) $(VMFLAGS) experiment $(MODES)
	$(PYTHON) scripts/analyze.py results/$(RUN)

analyze:
	$(PYTHON) scripts/analyze.py results/$(RUN)

check: deps
	scripts/check.sh

clean:
	$(MAKE) -C userspace clean
	@test ! -f $(KDIR)/Makefile || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build
