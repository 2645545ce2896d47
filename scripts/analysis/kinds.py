# SPDX-License-Identifier: GPL-2.0
"""The kinds of mode, as the experiment driver records them in each mode's
compaction.txt (scripts/guest/modes.sh): what the analysis, and anything
reading a summary.json, goes by.  No numpy here: light readers import it."""

METHOD_NONE = "none"                    # on-demand: compaction only on the allocation path
METHOD_MANUAL = "compact_memory"
METHOD_KERNEL = "proactive-kernel"
METHOD_MODULE = "proactive-module"
METHOD_DEFRAG = "defrag-mode"           # vm.defrag_mode=1 from boot (6.15)
# The strategy whose migrations the report holds against its floor and
# against compact_memory's.
TARGETED = "targeted"
