package warningsvc

import (
	"context"
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/imrobot"
	"github.com/shandong-emergency/chemguard/warning"
)

// DefaultIMKinds are the changes told to IM groups: every change of a warning's
// level or state and every escalation up the tiers; not the disposal actions nor
// the reminders (which go to the company by SMS).
var DefaultIMKinds = []string{string(warning.WarningRaised), string(warning.WarningEscalated),
	string(warning.WarningLowered), string(warning.WarningCleared), string(warning.WarningSettled),
	string(warning.DisposalEscalated), string(warning.DisposalOverdue)}

// robotPerMinute is what one group robot accepts a minute.
const robotPerMinute = imrobot.PerMinute

func robotMarkdown(n Notice) (title, text string) {
	v := View(n)
	return v.Subject(), v.Markdown()
}

// WeCom posts notices to a 企业微信 group robot (群机器人): POST the webhook URL
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) with
// {"msgtype": "markdown", "markdown": {"content": "…"}}; the reply's errcode 0 is a
// delivery (45009 and the like are retried with backoff).
type WeCom struct {
	URL    string   // CHEMGUARD_WARNING_WECOM_WEBHOOKS
	Only   []string // change kinds told (DefaultIMKinds when nil)
	Client HTTPDoer
}

// Target implements Notifier ("wecom:" and a hash of the URL, which holds the key).
func (w WeCom) Target() string { return imrobot.Target(imrobot.WeCom, w.URL) }

// Kinds implements Selective.
func (w WeCom) Kinds() []string { return kindsOr(w.Only) }

// PerMinute implements Limited.
func (WeCom) PerMinute() int { return robotPerMinute }

// Notify implements Notifier.
func (w WeCom) Notify(ctx context.Context, n Notice) error {
	_, text := robotMarkdown(n)
	return sendRobot(ctx, w.Client, "wecom", w.URL, map[string]any{"msgtype": "markdown",
		"markdown": map[string]string{"content": text}})
}

// DingTalk posts notices to a 钉钉 custom group robot (自定义机器人): POST the
// webhook URL (https://oapi.dingtalk.com/robot/send?access_token=…) with
// {"msgtype": "markdown", "markdown": {"title": "…", "text": "…"}}. With a 加签
// secret (SEC…) the URL also carries timestamp (Unix milliseconds) and sign =
// Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), URL-encoded. The reply's
// errcode 0 is a delivery.
type DingTalk struct {
	URL    string // CHEMGUARD_WARNING_DINGTALK_WEBHOOKS, URL#SECRET
	Secret string
	Only   []string // change kinds told (DefaultIMKinds when nil)
	Client HTTPDoer
	Now    func() time.Time // the signature's clock (time.Now)
}

// Target implements Notifier ("dingtalk:" and a hash of the URL, which holds the token).
func (d DingTalk) Target() string { return imrobot.Target(imrobot.DingTalk, d.URL) }

// Kinds implements Selective.
func (d DingTalk) Kinds() []string { return kindsOr(d.Only) }

// PerMinute implements Limited.
func (DingTalk) PerMinute() int { return robotPerMinute }

// Notify implements Notifier.
func (d DingTalk) Notify(ctx context.Context, n Notice) error {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	target, err := imrobot.SignedURL(d.URL, d.Secret, now())
	if err != nil {
		return err
	}
	title, text := robotMarkdown(n)
	return sendRobot(ctx, d.Client, "dingtalk", target, map[string]any{"msgtype": "markdown",
		"markdown": map[string]string{"title": title, "text": text}})
}

// sendRobot posts msg to a group robot and checks its errcode.
func sendRobot(ctx context.Context, client HTTPDoer, kind, url string, msg any) error {
	if err := imrobot.Send(ctx, client, url, msg); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// DingTalkSign is imrobot.Sign: the sign parameter of a DingTalk robot request
// at timestamp (Unix milliseconds), before URL encoding.
func DingTalkSign(secret string, timestamp int64) string { return imrobot.Sign(secret, timestamp) }

func kindsOr(k []string) []string {
	if k == nil {
		return DefaultIMKinds
	}
	return k
}
