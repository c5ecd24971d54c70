package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/shandong-emergency/chemguard/warningsvc"
)

// gatewaysFromEnv reads the SMS gateway and the IM group robots (issue 5 item 1).
func gatewaysFromEnv() ([]warningsvc.Notifier, error) {
	var out []warningsvc.Notifier
	list := func(env string) []string {
		var l []string
		for _, s := range strings.Split(os.Getenv(env), ",") {
			if s = strings.TrimSpace(s); s != "" {
				l = append(l, s)
			}
		}
		return l
	}
	if u := os.Getenv("CHEMGUARD_WARNING_SMS_URL"); u != "" {
		sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: u, AppKey: os.Getenv("CHEMGUARD_WARNING_SMS_APP_KEY"),
			Secret: os.Getenv("CHEMGUARD_WARNING_SMS_SECRET"), Template: os.Getenv("CHEMGUARD_WARNING_SMS_TEMPLATE"),
			TemplateCode: os.Getenv("CHEMGUARD_WARNING_SMS_TEMPLATE_CODE"), Kinds: list("CHEMGUARD_WARNING_SMS_KINDS")})
		if err != nil {
			return nil, fmt.Errorf("CHEMGUARD_WARNING_SMS_*: %w", err)
		}
		out = append(out, sms)
	}
	kinds := list("CHEMGUARD_WARNING_IM_KINDS")
	if err := warningsvc.CheckKinds(kinds); err != nil {
		return nil, fmt.Errorf("CHEMGUARD_WARNING_IM_KINDS: %w", err)
	}
	for _, u := range list("CHEMGUARD_WARNING_WECOM_WEBHOOKS") {
		out = append(out, warningsvc.WeCom{URL: u, Only: kinds})
	}
	// A DingTalk entry is URL#SECRET when the robot signs (加签): a URL fragment is
	// never sent, so '#' cannot be part of a webhook address.
	for _, e := range list("CHEMGUARD_WARNING_DINGTALK_WEBHOOKS") {
		u, secret, _ := strings.Cut(e, "#")
		out = append(out, warningsvc.DingTalk{URL: u, Secret: secret, Only: kinds})
	}
	return out, nil
}
