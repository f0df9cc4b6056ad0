// Package currencies is the one table of the currencies Stripe accepts, with
// what the fake needs to know about each: the smallest amount Stripe will
// charge and whether the currency has minor units. The request validator
// (internal/spec) refuses a code that is not here; resources read minimum
// charges and zero-decimal flags from here.
package currencies

import "strings"

// Currency is one supported currency.
type Currency struct {
	// Code is the lowercase ISO code Stripe uses, e.g. "usd".
	Code string
	// MinimumCharge is the smallest amount Stripe charges, in minor units
	// (billing-semantics §1.8); 50 where Stripe publishes no figure.
	MinimumCharge int64
	// ZeroDecimal is set for currencies without minor units, whose amounts
	// are whole units (https://docs.stripe.com/currencies#zero-decimal).
	ZeroDecimal bool
}

// supported lists Stripe's currencies in the order its "Invalid currency"
// error names them: usd first, the rest alphabetical, then the later and
// legacy additions. The list and order are those of the live API's error
// message, as quoted in public projects' test fixtures ("Invalid currency:
// yen. Stripe currently supports these currencies: usd, aed, …").
var supported = strings.Split("usd, aed, afn, all, amd, ang, aoa, ars, aud, awg, azn, bam, bbd, bdt, bgn, bhd, bif, bmd, bnd, bob, brl, bsd, bwp, byn, bzd, cad, cdf, chf, clp, cny, cop, crc, cve, czk, djf, dkk, dop, dzd, egp, etb, eur, fjd, fkp, gbp, gel, gip, gmd, gnf, gtq, gyd, hkd, hnl, hrk, htg, huf, idr, ils, inr, isk, jmd, jod, jpy, kes, kgs, khr, kmf, krw, kwd, kyd, kzt, lak, lbp, lkr, lrd, lsl, mad, mdl, mga, mkd, mmk, mnt, mop, mur, mvr, mwk, mxn, myr, mzn, nad, ngn, nio, nok, npr, nzd, omr, pab, pen, pgk, php, pkr, pln, pyg, qar, ron, rsd, rub, rwf, sar, sbd, scr, sek, sgd, shp, sle, sos, srd, std, szl, thb, tjs, tnd, top, try, ttd, twd, tzs, uah, ugx, uyu, uzs, vnd, vuv, wst, xaf, xcd, xof, xpf, yer, zar, zmw, usdc, btn, ghs, eek, lvl, svc, vef, ltl, sll, mro", ", ")

// minimumCharge holds the published minimums (billing-semantics §1.8);
// every other currency uses defaultMinimum.
var minimumCharge = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
	"dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
	"myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

const defaultMinimum = 50

var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

var (
	byCode = map[string]Currency{}
	list   = strings.Join(supported, ", ")
)

func init() {
	for _, code := range supported {
		c := Currency{Code: code, MinimumCharge: defaultMinimum, ZeroDecimal: zeroDecimal[code]}
		if m, ok := minimumCharge[code]; ok {
			c.MinimumCharge = m
		}
		byCode[code] = c
	}
}

// Lookup returns the currency for code, in any letter case, and whether
// Stripe supports it.
func Lookup(code string) (Currency, bool) {
	c, ok := byCode[strings.ToLower(code)]
	return c, ok
}

// MinimumCharge is the smallest amount Stripe charges in code, in minor
// units; 50 for a currency it does not know.
func MinimumCharge(code string) int64 {
	if c, ok := Lookup(code); ok {
		return c.MinimumCharge
	}
	return defaultMinimum
}

// ZeroDecimal reports whether code has no minor units.
func ZeroDecimal(code string) bool {
	c, _ := Lookup(code)
	return c.ZeroDecimal
}

// InvalidMessage is Stripe's message for an unsupported currency code.
func InvalidMessage(code string) string {
	return "Invalid currency: " + code + ". Stripe currently supports these currencies: " + list
}
