// The JSON writer (src/engine/json_out.h): escaping per RFC 8259, bytes >= 0x80 untouched, the
// buffer grown across many appends, and every string it writes read back by cJSON unchanged.
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "check.h"
#include "json_out.h"

// Writes s as a JSON string and returns whether the text is exactly expect.
static int string_is(const char *s, const char *expect) {
    SentJsonWriter w = {0};
    sent_json_string(&w, s);
    int same = sent_json_text(&w) && !strcmp(sent_json_text(&w), expect);
    if (!same) fprintf(stderr, "  wrote %s, expected %s\n", sent_json_text(&w), expect);
    sent_json_free(&w);
    return same;
}

static void test_escaping(void) {
    CHECK(string_is("", "\"\""));
    CHECK(string_is("plain text", "\"plain text\""));
    CHECK(string_is("say \"hi\"", "\"say \\\"hi\\\"\""));
    CHECK(string_is("a\\b", "\"a\\\\b\""));
    CHECK(string_is("tab\tnew\nline\r", "\"tab\\u0009new\\u000aline\\u000d\""));
    CHECK(string_is("\x01\x1f", "\"\\u0001\\u001f\""));
    CHECK(string_is("slash / and del \x7f", "\"slash / and del \x7f\""));
    CHECK(string_is("caf\xc3\xa9 \xe6\x98\xa0", "\"caf\xc3\xa9 \xe6\x98\xa0\""));       // UTF-8 as is
    CHECK(string_is("bad \xff\xfe \xc3", "\"bad \xff\xfe \xc3\""));                     // so are bad bytes
}

static void test_building(void) {
    SentJsonWriter w = {0};
    CHECK(sent_json_text(&w) && !strcmp(sent_json_text(&w), ""));
    sent_json_raw(&w, "{\"label\":");
    sent_json_string(&w, "Positive");
    sent_json_printf(&w, ",\"positive\":%.6f,\"probs\":[%.6f,%.6f]}", 0.93, 0.07, 0.93);
    CHECK(!strcmp(sent_json_text(&w), "{\"label\":\"Positive\",\"positive\":0.930000,\"probs\":[0.070000,0.930000]}"));
    CHECK(w.len == strlen(w.data));
    sent_json_reset(&w);
    CHECK(!strcmp(sent_json_text(&w), "") && w.len == 0);

    // Many small appends and one big one: the buffer grows and the text stays whole.
    sent_json_raw(&w, "[");
    for (int i = 0; i < 5000; i++) sent_json_printf(&w, "%s%d", i ? "," : "", i);
    sent_json_raw(&w, "]");
    cJSON *array = cJSON_Parse(sent_json_text(&w));
    CHECK(cJSON_IsArray(array) && cJSON_GetArraySize(array) == 5000);
    CHECK(cJSON_GetArrayItem(array, 4999) && cJSON_GetArrayItem(array, 4999)->valueint == 4999);
    cJSON_Delete(array);

    char *big = malloc(100001);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    sent_json_reset(&w);
    sent_json_printf(&w, "%s", big);
    CHECK(w.len == 100000 && !strcmp(sent_json_text(&w), big));
    free(big);
    sent_json_free(&w);
    CHECK(w.data == NULL && w.len == 0 && w.cap == 0);
}

// Every byte 1..255 in one string: cJSON must read back exactly what was written.
static void test_round_trip(void) {
    char all[256];
    for (int i = 1; i < 256; i++) all[i - 1] = (char)i;
    all[255] = '\0';
    SentJsonWriter w = {0};
    sent_json_raw(&w, "{\"s\":");
    sent_json_string(&w, all);
    sent_json_raw(&w, "}");
    cJSON *obj = cJSON_Parse(sent_json_text(&w));
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "s");
    CHECK(cJSON_IsString(s) && !strcmp(s->valuestring, all));
    cJSON_Delete(obj);
    sent_json_free(&w);
}

int main(void) {
    test_escaping();
    test_building();
    test_round_trip();
    return check_summary("json_out");
}
