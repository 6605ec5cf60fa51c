"""The words people use for the catalogue's checks, for cross-tenant search (core.search).

An MSP asks "which customers still have legacy SMTP auth enabled?", not "exo.smtp_auth_disabled".
Search drops the question's filler words, folds the synonyms below onto one word, matches partial
words, and ranks checks by where their words appear. This file is the vocabulary it uses; it sits
next to the catalogue so that a new check's common names are added with the check.
"""

from __future__ import annotations

# Words that say nothing about which check is meant.
_FILLER = """a about all an and any are at be been by can customer customers do does enabled disabled
    for from has have how i in is it its list me my no not of off on or our out show still tenant
    tenants that the their them there these they this those to turned use used uses using we what
    when where which who whose why will with without yet you"""
STOP_WORDS = frozenset(_FILLER.split())

# Spellings and near-synonyms folded onto the word the catalogue uses.
SYNONYMS = {
    "administrator": "admin",
    "administrators": "admin",
    "admins": "admin",
    "authentication": "auth",
    "authenticate": "auth",
    "basic": "legacy",
    "2fa": "mfa",
    "multifactor": "mfa",
    "multi-factor": "mfa",
    "mfa-capable": "mfa",
    "forwarding": "forward",
    "forwards": "forward",
    "forwarded": "forward",
    "e-mail": "email",
    "mail": "email",
    "mailboxes": "mailbox",
    "passwords": "password",
    "sign-in": "signin",
    "sign-ins": "signin",
    "signins": "signin",
    "logins": "signin",
    "login": "signin",
    "guests": "guest",
    "apps": "application",
    "app": "application",
    "applications": "application",
    "users": "user",
    "accounts": "account",
    "auditing": "audit",
    "logging": "audit",
    "secrets": "secret",
    "certificates": "certificate",
    "certs": "certificate",
    "spoofing": "spoof",
    "antiphishing": "phishing",
    "anti-phishing": "phishing",
    "phish": "phishing",
    "antispam": "spam",
    "anti-spam": "spam",
    "antimalware": "malware",
    "anti-malware": "malware",
    "atp": "defender",
    "mdo": "defender",
}

# What a check is also called, beyond its id, title and category (folded words).
CHECK_WORDS: dict[str, tuple[str, ...]] = {
    "exo.smtp_auth_disabled": ("legacy", "email"),
    "exo.smtp_auth_mailboxes": ("legacy", "email"),
    "entra.legacy_auth_blocked": ("pop", "imap", "activesync"),
    "sharepoint.legacy_auth_disabled": ("legacy",),
    "exo.modern_auth_enabled": ("legacy",),
    "entra.mfa_baseline_present": ("security", "defaults", "mfa"),
    "dns.spf_published": ("spoof", "email"),
    "dns.dmarc_published": ("spoof", "email"),
    "dns.dmarc_enforced": ("spoof", "email"),
    "dns.dkim_enabled": ("spoof", "email"),
    "exo.mailbox_external_forwarding": ("email", "exfiltration"),
    "guests.inactive": ("stale", "dormant"),
    "entra.inactive_users": ("stale", "dormant"),
    "entra.ca_exclusions_sound": ("exclusion", "excluded", "breakglass", "emergency", "conditional"),
    "entra.managed_device_required": ("compliant", "intune", "device", "conditional"),
    "entra.intune_enrollment_reauth": ("intune", "enrollment", "device", "session"),
    "entra.admin_signin_frequency": ("session", "timeout", "reauthentication", "persistent"),
    "entra.password_hash_sync": ("phs", "hybrid", "sync", "connect"),
    "entra.device_join_restricted": ("device", "join", "intune"),
    "entra.device_local_admins_limited": ("local", "device", "join"),
    "entra.laps_enabled": ("laps", "local", "device", "password"),
    "auth.report_suspicious_activity": ("fraud", "report", "fatigue"),
    "privileged.global_admin_count": ("ga",),
    "defender.preset_policies": ("standard", "strict", "baseline", "email"),
    "defender.antiphish": ("phishing", "spoof", "email"),
    "defender.antiphish_impersonation": ("phishing", "impersonation", "bec", "email"),
    "defender.antispam_actions": ("junk", "quarantine", "email"),
    "defender.antispam_no_allowed_senders": ("allowlist", "whitelist", "email"),
    "defender.connection_filter": ("allowlist", "whitelist", "ip", "email"),
    "defender.malware_filter": ("attachment", "zap", "virus", "email"),
    "defender.antiphish_safety_tips": ("warning", "impersonation", "phishing", "email"),
    "defender.safe_links": ("url", "link", "phishing", "email"),
    "defender.safe_attachments": ("sandbox", "attachment", "malware", "email"),
    "defender.safe_attachments_cloud_apps": ("malware", "sharepoint", "onedrive", "teams"),
    "defender.outbound_spam_limits": ("spam", "compromised", "email"),
    "exo.transport_rules_safe": ("transport", "forward", "whitelist", "allowlist", "spam", "bypass"),
    "exo.external_sender_tag_rule": ("transport", "external", "warning", "banner"),
    "exo.direct_send_rejected": ("spoof", "email", "printer"),
    "exo.calendar_sharing": ("calendar", "contacts", "anonymous", "external"),
    "exo.outlook_addins_restricted": ("addins", "plugins", "marketplace"),
    "exo.owa_storage_providers_restricted": ("dropbox", "storage", "owa"),
    "exo.shared_mailbox_signin_blocked": ("shared", "signin", "account"),
    "exo.mailbox_audit_actions": ("audit", "mailbox"),
    "exo.mailbox_audit_bypass": ("audit", "bypass", "exempt"),
    "exo.customer_lockbox": ("lockbox", "microsoft", "support"),
    "monitoring.alert_policies": ("alerts", "notification", "alert"),
    "monitoring.audit_retention": ("audit", "retention", "logs"),
    "compliance.dlp_policies_enabled": ("dlp", "leak", "sensitive", "prevention"),
    "teams.external_domains_restricted": ("federation", "external", "domain", "chat"),
    "teams.unmanaged_contact_off": ("consumer", "personal", "external", "chat"),
    "teams.unmanaged_inbound_blocked": ("consumer", "personal", "phishing", "chat"),
    "teams.skype_users_blocked": ("skype", "consumer", "external"),
    "teams.channel_email_off": ("email", "channel"),
    "teams.cloud_storage_restricted": ("dropbox", "box", "google", "storage"),
    "teams.third_party_apps_restricted": ("application", "store", "marketplace"),
    "teams.custom_apps_restricted": ("application", "sideload", "upload"),
    "teams.security_reporting_on": ("phishing", "report", "chat"),
    "teams.anonymous_join_off": ("anonymous", "meeting", "guest"),
    "teams.anonymous_start_off": ("anonymous", "meeting", "dial-in"),
    "teams.lobby_bypass_org_only": ("lobby", "meeting", "admit", "guest"),
    "teams.dial_in_lobby_bypass_off": ("lobby", "meeting", "pstn", "phone"),
    "teams.meeting_chat_no_anonymous": ("anonymous", "meeting", "chat"),
    "teams.presenters_restricted": ("meeting", "present", "screen"),
    "teams.external_control_off": ("meeting", "screen", "control", "external"),
    "teams.external_meeting_chat_off": ("meeting", "chat", "external"),
    "teams.recording_off_by_default": ("meeting", "recording", "record"),
    "teams.event_recording_not_forced": ("live", "event", "recording", "broadcast"),
}


def fold(word: str) -> str:
    """One spelling per word: lower case, the synonym's target, a plural's singular."""
    word = word.lower()
    word = SYNONYMS.get(word, word)
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = SYNONYMS.get(word[:-1], word[:-1])
    return word
