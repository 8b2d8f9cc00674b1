// Package phone turns a phone number typed by a user into the E.164 form
// (+<country code><subscriber number>, digits only) kept in
// auth.users.phone_number and handed to SMS providers.
package phone

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxInput bounds the work done on untrusted input; a formatted
// international number with spaces and brackets fits well within it.
const maxInput = 64

// Number is a parsed, valid phone number. The zero value is no number;
// the only way to get another is Parse, so a Number is always valid.
type Number struct {
	e164   string
	region string
}

// String is the number in E.164 form, e.g. +64211234567.
func (n Number) String() string { return n.e164 }

// Region is the number's ISO 3166-1 region code (e.g. "NZ"), or "001" for
// non-geographic numbers.
func (n Number) Region() string { return n.region }

// IsZero reports whether n is the zero Number.
func (n Number) IsZero() bool { return n.e164 == "" }

// Reason says why a number was refused.
type Reason int

const (
	// Empty: nothing but spaces.
	Empty Reason = iota + 1
	// TooLong: longer than any formatted phone number.
	TooLong
	// BadCharacter: something other than digits, one leading +, spaces and
	// the separators - . / ( ). Letters, extensions and tel: URIs included.
	BadCharacter
	// NotInternational: no leading + and country code. There is no default
	// region to read a national number in.
	NotInternational
	// Unparsable: the digits do not form a phone number (unknown country
	// code, too short, too long).
	Unparsable
	// NotValid: well formed, but not a number in use in its country's plan.
	NotValid
)

var reasonText = map[Reason]string{
	Empty:            "is empty",
	TooLong:          "is too long",
	BadCharacter:     "may only hold digits, a leading + and the separators - . / ( ) or spaces",
	NotInternational: "must be in international format, starting with + and the country code",
	Unparsable:       "is not a phone number",
	NotValid:         "is not a valid phone number for its country",
}

// InvalidError is the error of Parse. Its message is safe to show to the
// person who typed the number; it does not repeat the input.
type InvalidError struct {
	Reason Reason
}

func (e *InvalidError) Error() string {
	return "phone number " + reasonText[e.Reason]
}

// Parse reads a number in international format ("+64 21 123 4567",
// "+1 (415) 555-0100") and returns it normalised to E.164.
func Parse(raw string) (Number, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return Number{}, &InvalidError{Empty}
	case len(s) > maxInput:
		return Number{}, &InvalidError{TooLong}
	}
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == ' ', r == '-', r == '.', r == '/', r == '(', r == ')':
		case r == '+' && i == 0:
		default:
			return Number{}, &InvalidError{BadCharacter}
		}
	}
	if s[0] != '+' {
		return Number{}, &InvalidError{NotInternational}
	}
	// No default region: the leading + makes the country code explicit.
	pn, err := phonenumbers.Parse(s, "")
	if err != nil {
		return Number{}, &InvalidError{Unparsable}
	}
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, &InvalidError{NotValid}
	}
	return Number{
		e164:   phonenumbers.Format(pn, phonenumbers.E164),
		region: phonenumbers.GetRegionCodeForNumber(pn),
	}, nil
}

// MustParse is Parse for numbers known to be valid (constants, tests).
func MustParse(raw string) Number {
	n, err := Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("phone.MustParse(%q): %v", raw, err))
	}
	return n
}
