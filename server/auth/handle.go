package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"livefeed/shared/protocol"
)

// Handles are an account's unique name, shown as @handle beside the
// display name. Two handles that look alike are the same handle: they are
// compared by HandleKey, after Unicode case folding and the confusable
// skeleton of UTS #39 (github.com/mtibben/confusables, the Unicode
// confusables table), so "Alice", "аlice" (Cyrillic а), "ａｌｉｃｅ" and
// "aIice" (capital I) cannot sit beside "alice".

// Handle limits (docs/protocol.md, "Accounts").
const (
	MinHandleChars = 3
	MaxHandleChars = 30
)

var fold = cases.Fold()

// CheckHandle returns handle in its stored form (NFC, without a leading
// "@"), or why it is not a handle: MinHandleChars to MaxHandleChars
// letters, digits and "_", starting with a letter, all its letters of one
// script (no mixing Latin with Cyrillic, say). Anything else (spaces,
// punctuation, symbols, invisible or bidi characters, combining marks) is
// refused rather than removed.
func CheckHandle(handle string) (string, *protocol.Error) {
	h := norm.NFC.String(strings.TrimPrefix(handle, "@"))
	if !utf8.ValidString(handle) {
		return "", protocol.Errorf(protocol.CodeBadHandle, "the handle is not valid UTF-8")
	}
	n := utf8.RuneCountInString(h)
	if n < MinHandleChars || n > MaxHandleChars {
		return "", protocol.Errorf(protocol.CodeBadHandle, "a handle is %d to %d characters", MinHandleChars, MaxHandleChars)
	}
	var script string
	for i, r := range h {
		switch {
		case unicode.IsLetter(r):
			s := scriptOf(r)
			if script == "" {
				script = s
			} else if s != script {
				return "", protocol.Errorf(protocol.CodeBadHandle, "a handle's letters are all of one script (this one mixes %s and %s)", script, s)
			}
		case i == 0:
			return "", protocol.Errorf(protocol.CodeBadHandle, "a handle starts with a letter")
		case unicode.IsDigit(r) || r == '_':
		default:
			return "", protocol.Errorf(protocol.CodeBadHandle, "a handle has only letters, digits and _ (not %q)", r)
		}
	}
	return h, nil
}

// scriptOf names the script of a letter ("" for none of the tables').
func scriptOf(r rune) string {
	for name, t := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(t, r) {
			return name
		}
	}
	return ""
}

// HandleKeys are what handles are compared by: two handles that share
// one are one. Each is a case-folded confusable skeleton: of the folded
// handle (so "ALICE" and "аlice" meet "alice") and of the handle as
// written (so a capital I, whose skeleton is "l", meets "l" before folding
// turns it into "i"); each folded again, since the skeleton's prototypes
// include capitals ("0" becomes "O"); and without a combining dot above,
// which is what "İ" (capital I with dot) folds to beside its "i", so that
// "ALİCE" meets "alice" (the table leaves it).
func HandleKeys(handle string) []string {
	h := norm.NFKC.String(handle)
	a := handleKey(confusables.Skeleton(fold.String(h)))
	b := handleKey(confusables.Skeleton(h))
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// handleKey is a skeleton folded, without combining dots above, in NFC.
func handleKey(skeleton string) string {
	return norm.NFC.String(strings.ReplaceAll(norm.NFD.String(fold.String(skeleton)), "\u0307", ""))
}

// handleIndexKeys are the bucket keys that reserve a handle: a hash of
// each of its HandleKeys (a bucket key cannot hold every character).
func handleIndexKeys(handle string) []string {
	var out []string
	for _, k := range HandleKeys(handle) {
		h := sha256.Sum256([]byte(k))
		out = append(out, "h."+hex.EncodeToString(h[:]))
	}
	return out
}
