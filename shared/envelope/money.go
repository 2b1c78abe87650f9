package envelope

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// Decimal writes an amount in minor units as a decimal string in its currency's major
// unit, with the currency's ISO 4217 exponent (CLDR's data, from golang.org/x/text):
// 12345 USD is "123.45", 500 JPY is "500", 12345 BHD is "12.345". ok is false for a
// currency code that is not ISO 4217.
func Decimal(minor int64, currencyCode string) (s string, ok bool) {
	if len(currencyCode) != 3 || strings.ToUpper(currencyCode) != currencyCode {
		return "", false
	}
	unit, err := currency.ParseISO(currencyCode)
	if err != nil {
		return "", false
	}
	scale, _ := currency.Standard.Rounding(unit)
	digits := strconv.FormatUint(absInt64(minor), 10)
	sign := ""
	if minor < 0 {
		sign = "-"
	}
	if scale == 0 {
		return sign + digits, true
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	cut := len(digits) - scale
	return sign + digits[:cut] + "." + digits[cut:], true
}

func absInt64(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}
