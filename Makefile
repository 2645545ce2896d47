# SPDX-License-Identifier: GPL-2.0
#
# make            khugehog.ko against KDIR, and the userspace programs
# make demo       the on-demand vs manual compaction experiment in a guest
# make demo ALL=1 every mode on every released Debian kernel, compared (results/<run>/compare.md)
# make check      every test suite; ends with "N passed, N failed, N skipped"
#
# Variables of make demo (scripts/host/demo.sh, the driver, does the work):
#   KERNEL     the guest's kernel: a name of scripts/host/kernels.sh list (default:
#              the first), src:SOURCE[,patch=FILE][,config=FRAG] (built from source),
#              or BZIMAGE:KDIR (see scripts/host/demo.sh --help)
#   MODES      the experiment's modes and options (ondemand manual; see
#              scripts/guest/experiment.sh --help)
#   RUN        the run's name: results/$(RUN) (<date>-<time>-$(KERNEL); for a src:
#              or image kernel, <date>-<time>-<its label>)
#   VMFLAGS    more scripts/host/demo.sh options ("--mem 4G --cpus 4")
#   REPEAT=N   run everything N times, each mode in a fresh guest each time:
#              results/$(RUN)[/<kernel>]/run-1 ... run-N, pooled into medians with
#              95% intervals, and verdicts in compare.md (scripts/host/demo.sh --repeat)
#   ALL=1      run MODES (then "ondemand manual proactive-kernel proactive-module
#              defrag-mode defrag-mode-proactive-100")
#              on each of KERNELS (scripts/host/kernels.sh list --released):
#              results/$(RUN)/<kernel>/ each, and results/$(RUN)/compare.md
#              (RUN: <date>-<time>-all)

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= $(shell scripts/host/kernels.sh list --released)
KERNEL ?= $(firstword $(KERNELS))
ifeq ($(ALL),1)
MODES ?= ondemand manual proactive-kernel proactive-module defrag-mode defrag-mode-proactive-100
RUN ?= $(shell date +%Y%m%d-%H%M%S)-all
DEMO_KERNELS = $(foreach k,$(KERNELS),--kernel $(k))
else
MODES ?= ondemand manual
# A kernel named by kernels.sh names the run; demo.sh names any other.
comma := ,
plain_name = $(if $(findstring :,$(KERNEL))$(findstring /,$(KERNEL))$(findstring $(comma),$(KERNEL)),,$(KERNEL))
RUN ?= $(if $(plain_name),$(shell date +%Y%m%d-%H%M%S)-$(KERNEL))
DEMO_KERNELS = --kernel $(KERNEL)
endif
PYTHON ?= python3
VMFLAGS ?=
REPEAT ?=

.PHONY: all module userspace deps demo analyze check clean

all: userspace module

module:
	@test -f $(KDIR)/Makefile || { \
		echo "No kernel build tree at $(KDIR): install linux-headers-$$(uname -r)," \
		     "or pass KDIR=/path/to/build (scripts/host/kernels.sh resolve debian-6.1 prints Debian's)." >&2; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

deps:
	scripts/host/deps.sh

# RUN is evaluated once, so the guests and the analysis see the same name.
demo: RUN := $(RUN)
demo: deps
	PYTHON=$(PYTHON) scripts/host/demo.sh $(DEMO_KERNELS) $(if $(RUN),--out results/$(RUN)) \
		$(if $(REPEAT),--repeat $(REPEAT)) $(VMFLAGS) $(MODES)

analyze:
	$(PYTHON) scripts/analyze.py results/$(RUN)

check: deps
	scripts/tests/check.sh

clean:
	$(MAKE) -C userspace clean
	@test ! -f $(KDIR)/Makefile || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build
