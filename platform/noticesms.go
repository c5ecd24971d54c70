package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// noticeSMSMax is how many characters of a notice are texted: the title and the
// start of the body (three 70-character SMS segments); the inbox keeps it whole.
const noticeSMSMax = 200

// noticeSMS sends the base system's urgent notices through the platform's SMS
// gateway (CHEMGUARD_WARNING_SMS_*), by the same sender as the warning SMS, so
// one gateway, one signing and one reading of its replies serve both. The IM
// group robots are not used: they are the regulators' groups, and a company's
// notice is for one of its own people.
type noticeSMS struct {
	sms *warningsvc.SMS
	// templateCode is the gateway's template for a notice: a gateway that sends
	// only registered templates refuses a notice under the warnings' template,
	// whose parameters are a warning's.
	templateCode string
}

var _ enterprise.Gateway = noticeSMS{}

// Send implements enterprise.Gateway. The request id is the notification's, so a
// retry of a message whose reply was lost is a duplicate the gateway can drop.
func (g noticeSMS) Send(ctx context.Context, id int64, to enterprise.Person, n enterprise.Notice) error {
	content := "【危化品企业安全】" + n.Title
	if body := strings.TrimSpace(n.Body); body != "" {
		content += "：" + body
	}
	if r := []rune(content); len(r) > noticeSMSMax {
		content = string(append(r[:noticeSMSMax-1], '…'))
	}
	return g.sms.Send(ctx, warningsvc.Text{RequestID: fmt.Sprintf("enterprise-notice-%d", id), Mobile: to.Mobile,
		Content: content, TemplateCode: g.templateCode,
		Params: map[string]string{"kind": n.Kind, "title": n.Title, "name": to.DisplayName, "body": strings.TrimSpace(n.Body)}})
}

// noticeGateway is the gateway of the base system's urgent notices: the one
// configured for it, else the warning notifiers' SMS gateway, else none.
func noticeGateway(cfg Config) enterprise.Gateway {
	if cfg.BaseSystem.Gateway != nil {
		return cfg.BaseSystem.Gateway
	}
	for _, nf := range cfg.Warnings.Notifiers {
		if s, ok := nf.(*warningsvc.SMS); ok {
			return noticeSMS{sms: s, templateCode: cfg.BaseSystem.NoticeTemplateCode}
		}
	}
	return nil
}
