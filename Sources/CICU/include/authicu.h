// A narrow C interface to Debian's ICU (libicu-dev) for the auth service's account identifiers.
//
// Only plain C types cross it: the Swift toolchain's Foundation carries a private ICU of its own
// (_FoundationICU, a newer version) whose C types would clash with Debian's ICU headers if both
// were visible to one Swift module, so ICU's headers stay inside authicu.c. ICU's versioned
// symbol names (u_strFoldCase is a macro for u_strFoldCase_72) stay there too.
#ifndef AUTHICU_H
#define AUTHICU_H

#include <stdint.h>

/// A closed C enum, which Swift imports as a Swift enum.
#define AUTHICU_ENUM typedef enum __attribute__((enum_extensibility(closed)))

/// The general categories PRECIS tells apart (RFC 8264 §9).
AUTHICU_ENUM {
    /// Ll, Lu, Lo, Nd, Lm, Mn, Mc: PRECIS LetterDigits.
    AuthICUCategoryLetterDigit,
    AuthICUCategorySpace,
    AuthICUCategoryControl,
    AuthICUCategoryFormat,
    /// Cn: not assigned in this ICU's Unicode version (noncharacters included).
    AuthICUCategoryUnassigned,
    AuthICUCategoryOther,
} AuthICUCategory;

/// Bidi_Class values the Bidi Rule (RFC 5893) names; everything else is Other.
AUTHICU_ENUM {
    AuthICUBidiLeftToRight,
    AuthICUBidiRightToLeft,
    AuthICUBidiArabicLetter,
    AuthICUBidiArabicNumber,
    AuthICUBidiEuropeanNumber,
    AuthICUBidiEuropeanSeparator,
    AuthICUBidiCommonSeparator,
    AuthICUBidiEuropeanTerminator,
    AuthICUBidiOtherNeutral,
    AuthICUBidiBoundaryNeutral,
    AuthICUBidiNonspacingMark,
    AuthICUBidiOther,
} AuthICUBidi;

/// Joining_Type values RFC 5892 A.1 names.
AUTHICU_ENUM {
    AuthICUJoiningLeft,
    AuthICUJoiningRight,
    AuthICUJoiningDual,
    AuthICUJoiningTransparent,
    AuthICUJoiningOther,
} AuthICUJoining;

/// The scripts RFC 5892's contextual rules name.
AUTHICU_ENUM {
    AuthICUScriptGreek,
    AuthICUScriptHebrew,
    AuthICUScriptHiragana,
    AuthICUScriptKatakana,
    AuthICUScriptHan,
    AuthICUScriptOther,
} AuthICUScript;

/// UTF-16 in, UTF-16 out; each returns the length needed and sets *status > 0 on failure
/// (15 when `capacity` was too small: call again with the returned length).
int32_t authicu_fold_case(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status);
int32_t authicu_nfc(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status);
int32_t authicu_nfkc(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status);
int32_t authicu_skeleton(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status);

/// The code point's own Decomposition_Mapping (one level); -1 when it has none.
int32_t authicu_decomposition_mapping(int32_t codePoint, uint16_t *destination, int32_t capacity, int32_t *status);

/// The UTS #39 checks that fail (0 when none): restriction level "highly restrictive", mixed
/// numbering systems, invisible combining-mark tricks.
int32_t authicu_spoof_failures(const uint16_t *text, int32_t length, int32_t *status);

/// UTS #46 ToASCII of a domain name, in UTF-8; *errors receives the UIDNA_ERROR_* bits.
int32_t authicu_domain_to_ascii(const char *name, int32_t length, char *destination, int32_t capacity, uint32_t *errors, int32_t *status);

AuthICUCategory authicu_category(int32_t codePoint);
AuthICUBidi authicu_bidi_class(int32_t codePoint);
AuthICUJoining authicu_joining_type(int32_t codePoint);
AuthICUScript authicu_script(int32_t codePoint);
int32_t authicu_combining_class(int32_t codePoint);
/// Decomposition_Type Wide or Narrow: what RFC 8265's width mapping maps.
int authicu_is_width_form(int32_t codePoint);
/// Hangul_Syllable_Type L, V or T: PRECIS OldHangulJamo.
int authicu_is_conjoining_jamo(int32_t codePoint);
int authicu_is_default_ignorable(int32_t codePoint);
int authicu_is_noncharacter(int32_t codePoint);
int authicu_is_join_control(int32_t codePoint);
/// Soft_Dotted: `i`, `j` and the letters whose dot an accent above replaces.
int authicu_is_soft_dotted(int32_t codePoint);

#endif
