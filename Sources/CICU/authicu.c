#include "authicu.h"

#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

_Static_assert(sizeof(UChar) == sizeof(uint16_t), "UChar is UTF-16");
_Static_assert(sizeof(UErrorCode) == sizeof(int32_t), "UErrorCode is an int");

int32_t authicu_fold_case(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status) {
    return u_strFoldCase((UChar *)destination, capacity, (const UChar *)source, length, U_FOLD_CASE_DEFAULT, (UErrorCode *)status);
}

static int32_t normalize(const UNormalizer2 *normalizer, const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status) {
    if (U_FAILURE(*(UErrorCode *)status)) return 0;
    return unorm2_normalize(normalizer, (const UChar *)source, length, (UChar *)destination, capacity, (UErrorCode *)status);
}

int32_t authicu_nfc(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status) {
    return normalize(unorm2_getNFCInstance((UErrorCode *)status), source, length, destination, capacity, status);
}

int32_t authicu_nfkc(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status) {
    return normalize(unorm2_getNFKCInstance((UErrorCode *)status), source, length, destination, capacity, status);
}

int32_t authicu_decomposition_mapping(int32_t codePoint, uint16_t *destination, int32_t capacity, int32_t *status) {
    const UNormalizer2 *normalizer = unorm2_getNFKCInstance((UErrorCode *)status);
    if (U_FAILURE(*(UErrorCode *)status)) return -1;
    return unorm2_getRawDecomposition(normalizer, codePoint, (UChar *)destination, capacity, (UErrorCode *)status);
}

/// A checker per call: opening one is cheap (its data is shared), and nothing is kept between threads.
int32_t authicu_spoof_failures(const uint16_t *text, int32_t length, int32_t *status) {
    UErrorCode *error = (UErrorCode *)status;
    USpoofChecker *checker = uspoof_open(error);
    if (U_FAILURE(*error)) return 0;
    uspoof_setChecks(checker, USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS | USPOOF_INVISIBLE, error);
    uspoof_setRestrictionLevel(checker, USPOOF_HIGHLY_RESTRICTIVE);
    int32_t failures = U_SUCCESS(*error) ? uspoof_check(checker, (const UChar *)text, length, NULL, error) : 0;
    uspoof_close(checker);
    return failures;
}

int32_t authicu_skeleton(const uint16_t *source, int32_t length, uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode *error = (UErrorCode *)status;
    USpoofChecker *checker = uspoof_open(error);
    if (U_FAILURE(*error)) return 0;
    int32_t written = uspoof_getSkeleton(checker, 0, (const UChar *)source, length, (UChar *)destination, capacity, error);
    uspoof_close(checker);
    return written;
}

int32_t authicu_domain_to_ascii(const char *name, int32_t length, char *destination, int32_t capacity, uint32_t *errors, int32_t *status) {
    UErrorCode *error = (UErrorCode *)status;
    UIDNA *idna = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII, error);
    if (U_FAILURE(*error)) return 0;
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    int32_t written = uidna_nameToASCII_UTF8(idna, name, length, destination, capacity, &info, error);
    *errors = info.errors;
    uidna_close(idna);
    return written;
}

AuthICUCategory authicu_category(int32_t codePoint) {
    switch (u_charType(codePoint)) {
    case U_LOWERCASE_LETTER: case U_UPPERCASE_LETTER: case U_OTHER_LETTER: case U_DECIMAL_DIGIT_NUMBER:
    case U_MODIFIER_LETTER: case U_NON_SPACING_MARK: case U_COMBINING_SPACING_MARK:
        return AuthICUCategoryLetterDigit;
    case U_SPACE_SEPARATOR: return AuthICUCategorySpace;
    case U_CONTROL_CHAR: return AuthICUCategoryControl;
    case U_FORMAT_CHAR: return AuthICUCategoryFormat;
    case U_UNASSIGNED: return AuthICUCategoryUnassigned;
    default: return AuthICUCategoryOther;
    }
}

AuthICUBidi authicu_bidi_class(int32_t codePoint) {
    switch (u_charDirection(codePoint)) {
    case U_LEFT_TO_RIGHT: return AuthICUBidiLeftToRight;
    case U_RIGHT_TO_LEFT: return AuthICUBidiRightToLeft;
    case U_RIGHT_TO_LEFT_ARABIC: return AuthICUBidiArabicLetter;
    case U_ARABIC_NUMBER: return AuthICUBidiArabicNumber;
    case U_EUROPEAN_NUMBER: return AuthICUBidiEuropeanNumber;
    case U_EUROPEAN_NUMBER_SEPARATOR: return AuthICUBidiEuropeanSeparator;
    case U_COMMON_NUMBER_SEPARATOR: return AuthICUBidiCommonSeparator;
    case U_EUROPEAN_NUMBER_TERMINATOR: return AuthICUBidiEuropeanTerminator;
    case U_OTHER_NEUTRAL: return AuthICUBidiOtherNeutral;
    case U_BOUNDARY_NEUTRAL: return AuthICUBidiBoundaryNeutral;
    case U_DIR_NON_SPACING_MARK: return AuthICUBidiNonspacingMark;
    default: return AuthICUBidiOther;
    }
}

AuthICUJoining authicu_joining_type(int32_t codePoint) {
    switch (u_getIntPropertyValue(codePoint, UCHAR_JOINING_TYPE)) {
    case U_JT_LEFT_JOINING: return AuthICUJoiningLeft;
    case U_JT_RIGHT_JOINING: return AuthICUJoiningRight;
    case U_JT_DUAL_JOINING: return AuthICUJoiningDual;
    case U_JT_TRANSPARENT: return AuthICUJoiningTransparent;
    default: return AuthICUJoiningOther;
    }
}

AuthICUScript authicu_script(int32_t codePoint) {
    UErrorCode error = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(codePoint, &error);
    if (U_FAILURE(error)) return AuthICUScriptOther;
    switch (script) {
    case USCRIPT_GREEK: return AuthICUScriptGreek;
    case USCRIPT_HEBREW: return AuthICUScriptHebrew;
    case USCRIPT_HIRAGANA: return AuthICUScriptHiragana;
    case USCRIPT_KATAKANA: return AuthICUScriptKatakana;
    case USCRIPT_HAN: return AuthICUScriptHan;
    default: return AuthICUScriptOther;
    }
}

int32_t authicu_combining_class(int32_t codePoint) { return u_getCombiningClass(codePoint); }

int authicu_is_width_form(int32_t codePoint) {
    int32_t type = u_getIntPropertyValue(codePoint, UCHAR_DECOMPOSITION_TYPE);
    return type == U_DT_WIDE || type == U_DT_NARROW;
}

int authicu_is_conjoining_jamo(int32_t codePoint) {
    int32_t type = u_getIntPropertyValue(codePoint, UCHAR_HANGUL_SYLLABLE_TYPE);
    return type == U_HST_LEADING_JAMO || type == U_HST_VOWEL_JAMO || type == U_HST_TRAILING_JAMO;
}

int authicu_is_default_ignorable(int32_t codePoint) { return u_hasBinaryProperty(codePoint, UCHAR_DEFAULT_IGNORABLE_CODE_POINT); }
int authicu_is_noncharacter(int32_t codePoint) { return u_hasBinaryProperty(codePoint, UCHAR_NONCHARACTER_CODE_POINT); }
int authicu_is_join_control(int32_t codePoint) { return u_hasBinaryProperty(codePoint, UCHAR_JOIN_CONTROL); }

int authicu_is_soft_dotted(int32_t codePoint) { return u_hasBinaryProperty(codePoint, UCHAR_SOFT_DOTTED); }
