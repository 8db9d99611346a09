/* Unit tests: the JSON writer, above all its escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "json.h"

static const char *
one_string(struct json *j, const char *s, size_t len)
{
	size_t n;

	json_init(j);
	json_strn(j, s, len);
	return json_finish(j, &n);
}

static void
test_structure_and_commas(void **state)
{
	struct json j;
	size_t n;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_int(&j, -3);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_bool(&j, true);
	json_write_null(&j);
	json_str(&j, NULL);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key(&j, "c");
	json_double(&j, 1.5);
	json_key(&j, "d");
	json_double(&j, NAN);
	json_obj_end(&j);
	assert_string_equal(json_finish(&j, &n),
			    "{\"a\":-3,\"b\":[true,null,null,{}],\"c\":1.500,\"d\":null}\n");
	assert_int_equal(n, strlen(j.buf));
	json_free(&j);
}

static void
test_escapes(void **state)
{
	struct json j;

	(void)state;
	assert_string_equal(one_string(&j, "a\"b\\c\nd\te\r\x01\x1f\x7f", 13),
			    "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\x7f\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "nul\0byte", 8), "\"nul\\u0000byte\"\n");
	json_free(&j);
}

static void
test_valid_utf8_passes(void **state)
{
	struct json j;
	const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"; /* café € 😀 */

	(void)state;
	assert_string_equal(one_string(&j, s, strlen(s)),
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n");
	json_free(&j);
}

static void
test_invalid_utf8_replaced(void **state)
{
	struct json j;

	(void)state;
	/* lone continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF, 0xff */
	assert_string_equal(one_string(&j, "\x80", 1), "\"\\ufffd\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "x\xe2\x82", 3), "\"x\\ufffd\\ufffd\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "\xf4\x90\x80\x80", 4),
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"\n");
	json_free(&j);
	assert_string_equal(one_string(&j, "a\xff" "b", 3), "\"a\\ufffdb\"\n");
	json_free(&j);
}

static void
test_keys_are_escaped(void **state)
{
	struct json j;
	size_t n;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "we\"ird");
	json_int(&j, 1);
	json_obj_end(&j);
	assert_string_equal(json_finish(&j, &n), "{\"we\\\"ird\":1}\n");
	json_free(&j);
}

static void
test_large_document(void **state)
{
	struct json j;
	size_t n, i;
	char line[100];

	(void)state;
	memset(line, 'x', sizeof(line));
	json_init(&j);
	json_arr_begin(&j);
	for (i = 0; i < 20000; i++)
		json_strn(&j, line, sizeof(line));
	json_arr_end(&j);
	assert_non_null(json_finish(&j, &n));
	assert_int_equal(n, 2 + 20000 * 102 + 19999 + 1);
	json_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure_and_commas), cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_valid_utf8_passes),    cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_keys_are_escaped),     cmocka_unit_test(test_large_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
