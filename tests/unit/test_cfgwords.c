/* Unit tests for cfgwords: shell-like word splitting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cfgwords.h"

/* Split TEXT and compare with the NULL-terminated WANT list. */
static void
check_split(const char *text, const char *const *want)
{
	const char *why = "unset";
	char **words;
	size_t n, i;
	int rc;

	rc = cfgw_split(text, &words, &n, &why);
	if (rc != 0)
		fail_msg("split of [%s] failed: %s", text, why);
	assert_null(why);
	for (i = 0; want[i]; i++) {
		if (i >= n)
			fail_msg("split of [%s]: only %zu words, wanted [%s]", text, n, want[i]);
		assert_string_equal(words[i], want[i]);
	}
	assert_int_equal(n, i);
	assert_null(words[n]);
	cfgw_free(words);
}

#define SPLIT(text, ...) check_split(text, (const char *const[]){ __VA_ARGS__, NULL })

static void
check_fails(const char *text, const char *why_want)
{
	const char *why = NULL;
	char **words = (char **)&why; /* must be reset to NULL */
	size_t n = 99;

	assert_int_equal(cfgw_split(text, &words, &n, &why), -EINVAL);
	assert_null(words);
	assert_non_null(why);
	assert_string_equal(why, why_want);
}

static void
test_blanks(void **state)
{
	(void)state;
	SPLIT("a b c", "a", "b", "c");
	SPLIT("  a \t b\n c  ", "a", "b", "c");
	SPLIT("/usr/bin/prog --flag", "/usr/bin/prog", "--flag");
}

static void
test_empty_input(void **state)
{
	char **words;
	const char *why;
	size_t n = 7;

	(void)state;
	assert_int_equal(cfgw_split("", &words, &n, &why), 0);
	assert_int_equal(n, 0);
	assert_non_null(words);
	assert_null(words[0]);
	cfgw_free(words);
	assert_int_equal(cfgw_split(" \t\n ", &words, NULL, &why), 0);
	assert_null(words[0]);
	cfgw_free(words);
}

static void
test_single_quotes(void **state)
{
	(void)state;
	SPLIT("'a b' c", "a b", "c");
	SPLIT("'a \"b\" \\n $x'", "a \"b\" \\n $x");
	SPLIT("x'y z'w", "xy zw");
	SPLIT("'it'\\''s'", "it's");
}

static void
test_double_quotes(void **state)
{
	(void)state;
	SPLIT("\"a b\" c", "a b", "c");
	/* Backslash escapes only $ ` " \ inside double quotes. */
	SPLIT("\"\\$HOME \\` \\\" \\\\\"", "$HOME ` \" \\");
	SPLIT("\"a\\nb \\x\"", "a\\nb \\x");
	SPLIT("\"it's\"", "it's");
	SPLIT("pre\"mid dle\"post", "premid dlepost");
}

static void
test_backslash_outside_quotes(void **state)
{
	(void)state;
	SPLIT("a\\ b c", "a b", "c");
	SPLIT("\\\"x\\\"", "\"x\"");
	SPLIT("\\'", "'");
	SPLIT("a\\\\b", "a\\b");
	SPLIT("\\$HOME", "$HOME");
	/* Backslash-newline vanishes, even between words. */
	SPLIT("ab\\\ncd", "abcd");
	SPLIT("a \\\n b", "a", "b");
}

static void
test_empty_quoted_words(void **state)
{
	(void)state;
	SPLIT("\"\"", "");
	SPLIT("''", "");
	SPLIT("a \"\" b", "a", "", "b");
	SPLIT("a '' ''", "a", "", "");
	SPLIT("prog \"\"''", "prog", "");
}

static void
test_no_expansion(void **state)
{
	(void)state;
	SPLIT("echo $HOME * ~ # | ; > `x`", "echo", "$HOME", "*", "~", "#", "|", ";", ">", "`x`");
	SPLIT("KEY=VALUE OTHER=\"a b\"", "KEY=VALUE", "OTHER=a b");
}

static void
test_unterminated(void **state)
{
	(void)state;
	check_fails("echo \"abc", "unterminated double quote");
	check_fails("echo 'abc", "unterminated single quote");
	check_fails("\"a\\\"", "unterminated double quote");
	check_fails("abc\\", "trailing backslash");
	check_fails("'a' \"", "unterminated double quote");
}

static void
test_free_null(void **state)
{
	(void)state;
	cfgw_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanks),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_backslash_outside_quotes),
		cmocka_unit_test(test_empty_quoted_words),
		cmocka_unit_test(test_no_expansion),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
