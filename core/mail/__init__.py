"""Mail that leaves the building: the Graph mailer, the consent-link invitation and the summary
mail template."""
