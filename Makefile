# SPDX-License-Identifier: GPL-2.0
#
# make            khugehog.ko against KDIR, and the userspace programs
# make demo       the on-demand vs manual compaction experiment in a guest
# make demo ALL=1 every mode on both Debian kernels, compared (results/<run>/compare.md)
# make check      every test suite; ends with "N passed, N failed, N skipped"
#
# Variables of make demo:
#   KERNEL     the guest's kernel (debian-6.1; debian-6.12 or a bzImage path, see
#              scripts/vm-run.sh --help)
#   MODES      the experiment's modes and options (ondemand manual)
#   RUN        the run's name: results/$(RUN) (<date>-<time>-$(KERNEL))
#   VMFLAGS    more scripts/vm-run.sh options ("--mem 4G --cpus 4")
#   ALL=1      run MODES (then "ondemand manual proactive-kernel proactive-module")
#              on each of KERNELS ("debian-6.1 debian-6.12") in one vm-run call:
#              results/$(RUN)/<kernel>/ each, and results/$(RUN)/compare.md
#              (RUN: <date>-<time>-all)

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= debian-6.1
KERNELS ?= debian-6.1 debian-6.12
ifeq ($(ALL),1)
MODES ?= ondemand manual proactive-kernel proactive-module
RUN ?= $(shell date +%Y%m%d-%H%M%S)-all
else
MODES ?= ondemand manual
RUN ?= $(shell date +%Y%m%d-%H%M%S)-$(KERNEL)
endif
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
# With ALL=1 and several KERNELS, vm-run.sh analyzes each kernel's run and
# compares them itself.
demo: RUN := $(RUN)
ifeq ($(ALL),1)
demo: deps
	PYTHON=$(PYTHON) scripts/vm-run.sh $(foreach k,$(KERNELS),--kernel $(k)) --out results/$(RUN) \
		$(VMFLAGS) experiment $(MODES)
	$(if $(word 2,$(KERNELS)),,$(PYTHON) scripts/analyze.py results/$(RUN))
else
demo: deps
	scripts/vm-run.sh --kernel $(KERNEL) --out results/$(RUN) $(VMFLAGS) experiment $(MODES)
	$(PYTHON) scripts/analyze.py results/$(RUN)
endif

analyze:
	$(PYTHON) scripts/analyze.py results/$(RUN)

check: deps
	scripts/check.sh

clean:
	$(MAKE) -C userspace clean
	@test ! -f $(KDIR)/Makefile || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build
