package auth

import (
	"slices"
	"strings"
	"testing"

	"livefeed/shared/protocol"
)

// TestHandleConfusables: handles that look alike share a HandleKey; ones
// that do not, do not.
func TestHandleConfusables(t *testing.T) {
	same := [][2]string{
		{"alice", "Alice"},
		{"alice", "ALICE"},
		{"alice", "\u0430\u04c0\u0456\u0441\u0435"},        // Cyrillic а Ӏ і с е, one script (the table makes a small palochka an i, a capital one an l)
		{"alice", "ａｌｉｃｅ"},                                 // fullwidth
		{"alice", "aIice"},                                 // capital I for l
		{"alice", "a1ice"},                                 // digit 1 for l
		{"google", "g00gle"},                               // zeros for o
		{"paypal", "\u0440\u0430\u0443\u0440\u0430\u04c0"}, // Cyrillic р а у р а Ӏ
		{"strasse", "straße"},                              // case folding: ß is ss
		{"cafe_1", "cafe_l"},
		{"rn_x", "rn_x"},
		{"alice", "\u0251lice"}, // Latin alpha
		{"alice", "al\u0131ce"}, // dotless i
		{"alice", "AL\u0130CE"}, // capital I with dot above: folds to i and a combining dot
		{"alice", "Al\u0130ce"}, // the same, as a capital among small letters
		{"mary", "rnary"},       // rn for m
		{"alice", "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e"}, // mathematical bold
	}
	for _, p := range same {
		if !shareKey(p[0], p[1]) {
			t.Errorf("%q and %q look alike but have keys %q and %q", p[0], p[1], HandleKeys(p[0]), HandleKeys(p[1]))
		}
	}
	differ := [][2]string{
		{"alice", "alicia"},
		{"alice", "alice_"},
		{"bob", "bobb"},
		{"anna", "hanna"},
	}
	for _, p := range differ {
		if shareKey(p[0], p[1]) {
			t.Errorf("%q and %q share a key: %q, %q", p[0], p[1], HandleKeys(p[0]), HandleKeys(p[1]))
		}
	}
}

// shareKey reports whether a and b reserve a bucket key in common.
func shareKey(a, b string) bool {
	for _, x := range handleIndexKeys(a) {
		if slices.Contains(handleIndexKeys(b), x) {
			return true
		}
	}
	return false
}

func TestCheckHandle(t *testing.T) {
	ok := map[string]string{
		"alice":                             "alice",
		"@alice":                            "alice",
		"Ada_Lovelace":                      "Ada_Lovelace",
		"b42":                               "b42",
		"\u0430\u043b\u0438\u0441\u0430":    "\u0430\u043b\u0438\u0441\u0430", // алиса
		"cafe\u0301":                        "caf\u00e9",                      // stored as NFC
		"日本語":                               "日本語",
		strings.Repeat("a", MaxHandleChars): strings.Repeat("a", MaxHandleChars),
		strings.Repeat("a", MinHandleChars): strings.Repeat("a", MinHandleChars),
	}
	for in, want := range ok {
		got, err := CheckHandle(in)
		if err != nil || got != want {
			t.Errorf("CheckHandle(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"",
		"ab",                                  // MinHandleChars - 1
		strings.Repeat("a", MaxHandleChars+1), // one over
		"\u0430lice",                          // Cyrillic а among Latin: mixed scripts
		"\u03b1lice",                          // Greek α among Latin
		"1alice",                              // starts with a digit
		"_alice",
		"al ice",
		"al-ice",
		"al.ice",
		"alice\u200b",             // zero-width space
		"ali\u200dce",             // zero-width joiner
		"\u202ealice",             // right-to-left override
		"alice\u2066",             // bidi isolate
		"alice\x00",               // NUL
		"ali\u0301\u0301\u0301ce", // a pile of combining marks
		"alice😀",
		"\xff\xfe",
		"@",
		"@@alice",
	}
	for _, in := range bad {
		if got, err := CheckHandle(in); err == nil || err.Code != protocol.CodeBadHandle {
			t.Errorf("CheckHandle(%q) = %q, %v; want %s", in, got, err, protocol.CodeBadHandle)
		}
	}
}
