# SPDX-License-Identifier: GPL-2.0
"""khugehog's analysis: scripts/analyze.py and scripts/compare.py are its front ends."""
