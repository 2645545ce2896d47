# SPDX-License-Identifier: GPL-2.0
#
# KTAP for the POSIX sh test suites (vm-tests.sh in the guest,
# experiment-checks.sh anywhere).  Source it, define t_<name> functions
# that return non-zero on failure and explain themselves with diag (or
# end with "skip REASON; return" when they cannot run here), then:
#   ktap_run TITLE PREFIX "name name:arg ..."
# A word name:arg runs t_name with arg as its argument (one test per kernel,
# say), reported as "name arg".
# A suite may redefine ktap_out (where lines go) and define
# ktap_before_test and ktap_after_test (run around every test), and
# ktap_verdict, run right after each test: when it fails, so does the test,
# whatever the test returned (a kernel report while it ran, say).

ktap_diag_file=$(mktemp)

ktap_out() {
	echo "$*"
}

diag() {
	echo "$*" >>"$ktap_diag_file"
}

# skip REASON: the test cannot run here, and says why; "return" after it.
ktap_skip_status=4
skip() {
	ktap_skip_reason=$*
	return $ktap_skip_status
}

# What no dmesg of ours may contain: oopses, warnings and BUG()s, and
# the reports of the debug kernel's checkers (KASAN and KFENCE say "BUG:",
# lockdep "WARNING:"; these do not).
ktap_bad_dmesg='Oops|WARNING:|BUG:|general protection|Call Trace|page allocation failure|Bad page|UBSAN:|suspected memory leak|list_(add|del) corruption'

ktap_run() {
	ktap_prefix=$2
	ktap_out "KTAP version 1"
	ktap_out "# $1"
	ktap_out "1..$(echo $3 | wc -w)"
	ktap_nr=0
	ktap_failed=0
	ktap_skipped=0
	for ktap_word in $3; do
		ktap_t=${ktap_word%%:*}
		ktap_arg=${ktap_word#"$ktap_t"}
		ktap_arg=${ktap_arg#:}
		ktap_nr=$((ktap_nr + 1))
		: >"$ktap_diag_file"
		command -v ktap_before_test >/dev/null && ktap_before_test
		ktap_skip_reason=
		"t_$ktap_t" ${ktap_arg:+"$ktap_arg"}
		ktap_rc=$?
		if command -v ktap_verdict >/dev/null && ! ktap_verdict; then
			ktap_rc=1
		fi
		ktap_t=$ktap_t${ktap_arg:+ $ktap_arg}
		if [ "$ktap_rc" = 0 ]; then
			ktap_out "ok $ktap_nr $ktap_prefix: $ktap_t"
		elif [ "$ktap_rc" = "$ktap_skip_status" ] && [ -n "$ktap_skip_reason" ]; then
			ktap_skipped=$((ktap_skipped + 1))
			ktap_out "ok $ktap_nr $ktap_prefix: $ktap_t # SKIP $ktap_skip_reason"
		else
			ktap_failed=$((ktap_failed + 1))
			ktap_out "not ok $ktap_nr $ktap_prefix: $ktap_t"
		fi
		while IFS= read -r ktap_line; do
			ktap_out "# $ktap_line"
		done <"$ktap_diag_file"
		command -v ktap_after_test >/dev/null && ktap_after_test
	done
	ktap_out "# $ktap_prefix: $((ktap_nr - ktap_failed - ktap_skipped)) passed, $ktap_failed failed, $ktap_skipped skipped"
	rm -f "$ktap_diag_file"
	[ "$ktap_failed" = 0 ]
}
