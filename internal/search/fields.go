package search

// FieldsFor returns a fresh copy of the search fields Stripe documents for
// resource (the wire name: "charges", "customers", "invoices",
// "payment_intents", "prices", "products", "subscriptions"), typed as in
// Stripe's "Supported query fields" tables; nil for any other resource.
//
// Fields whose name does not mirror the rendered object need the caller to
// add a flattened key before Match: invoices' last_finalization_error_code
// and last_finalization_error_type (the object has
// last_finalization_error.code and .type). Charges' refunded is documented
// with token semantics (refunded:"true" fully refunded, refunded:"false"
// partially, refunded:null not refunded) that differ from the object's
// boolean; a charges resource wanting that should render a matching value.
func FieldsFor(resource string) Fields {
	switch resource {
	case "charges":
		f := Fields{
			"amount":                              Number,
			"billing_details.address.postal_code": Exact,
			"created":                             Number,
			"currency":                            Exact,
			"customer":                            Exact,
			"disputed":                            Bool,
			"metadata":                            Metadata,
			"refunded":                            Bool,
			"status":                              Exact,
		}
		for _, src := range []string{"card", "card_present", "interac_present"} {
			for _, leaf := range []string{"last4", "exp_month", "exp_year", "brand", "fingerprint"} {
				f["payment_method_details."+src+"."+leaf] = Exact
			}
		}
		return f
	case "customers":
		return Fields{"created": Number, "email": Text, "metadata": Metadata, "name": Text, "phone": Text}
	case "invoices":
		return Fields{
			"created": Number, "currency": Exact, "customer": Exact,
			"last_finalization_error_code": Exact, "last_finalization_error_type": Exact,
			"metadata": Metadata, "number": Text, "receipt_number": Text, "status": Text,
			"subscription": Text, "total": Number,
		}
	case "payment_intents":
		return Fields{"amount": Number, "created": Number, "currency": Exact, "customer": Exact, "metadata": Metadata, "status": Exact}
	case "prices":
		return Fields{"active": Bool, "currency": Exact, "lookup_key": Text, "metadata": Metadata, "product": Text, "type": Exact}
	case "products":
		return Fields{"active": Bool, "description": Text, "metadata": Metadata, "name": Text, "shippable": Bool, "url": Text}
	case "subscriptions":
		return Fields{"canceled_at": Number, "created": Number, "metadata": Metadata, "status": Exact}
	}
	return nil
}
