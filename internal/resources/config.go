package resources

import config "github.com/stripefake/stripefake/resources"

// The configuration types are defined in the public package
// github.com/stripefake/stripefake/resources, which users import to edit
// them through fake's options; the engine names them here by alias.
type (
	SubscriptionsConfig = config.SubscriptionsConfig
	InvoicingConfig     = config.InvoicingConfig
	QuotesConfig        = config.QuotesConfig
	PortalConfig        = config.PortalConfig
)

// DefaultSubscriptionsConfig is config.DefaultSubscriptionsConfig.
func DefaultSubscriptionsConfig() SubscriptionsConfig { return config.DefaultSubscriptionsConfig() }

// DefaultInvoicingConfig is config.DefaultInvoicingConfig.
func DefaultInvoicingConfig() InvoicingConfig { return config.DefaultInvoicingConfig() }

// DefaultQuotesConfig is config.DefaultQuotesConfig.
func DefaultQuotesConfig() QuotesConfig { return config.DefaultQuotesConfig() }

// DefaultPortalConfig is config.DefaultPortalConfig.
func DefaultPortalConfig() PortalConfig { return config.DefaultPortalConfig() }
