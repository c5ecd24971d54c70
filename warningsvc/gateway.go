package warningsvc

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/shandong-emergency/chemguard/imrobot"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/warning"
)

// HTTPDoer sends HTTP requests; *http.Client implements it.
type HTTPDoer = imrobot.Doer

// post sends body to url as JSON (imrobot.Post: a non-2xx reply is an
// *imrobot.StatusError).
func post(ctx context.Context, client HTTPDoer, url string, body []byte, header http.Header) ([]byte, error) {
	return imrobot.Post(ctx, client, url, body, header)
}

// ErrRefused marks a delivery the gateway answered and refused for this one
// recipient (a 4xx other than 429, or an error code in a 2xx reply): the others are
// still told, and only this recipient waits for its retry. Any other failure means
// the gateway is down or throttling: the target as a whole backs off.
var ErrRefused = errors.New("refused")

// refusedIfClient wraps err with ErrRefused when it is a 4xx reply other than 429.
func refusedIfClient(err error) error {
	var se *imrobot.StatusError
	if errors.As(err, &se) && se.Code/100 == 4 && se.Code != http.StatusTooManyRequests {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return err
}

// postJSON marshals v and posts it (see post).
func postJSON(ctx context.Context, client HTTPDoer, url string, v any, header http.Header) ([]byte, error) {
	return imrobot.PostJSON(ctx, client, url, v, header)
}

// NoticeView is a notice with the words a person reads: the data of the SMS
// template and of the IM messages.
type NoticeView struct {
	Notice
	LevelZH string // 红色（重大）
	KindZH  string // 预警发布, 逾期上报, 提醒 …
	StepZH  string // 已发布，待企业签收 …
	TierZH  string // 县级, 市级, 省级
	ModelZH string // 企业综合风险, 仓库储存风险, 泄漏风险
	Time    string // the change's time, 2006-01-02 15:04:05 in Shanghai
	Short   string // the reason cut to 100 characters (for SMS)
}

// View returns n in words.
func View(n Notice) NoticeView {
	v := NoticeView{Notice: n, LevelZH: n.Level, StepZH: warning.Step(n.Step).NameZH(),
		TierZH: warning.Tier(n.Tier).NameZH(), ModelZH: warning.ModelNameZH(n.Model),
		KindZH: warning.ChangeKind(n.Kind).NameZH(), Time: n.At.In(schemas.Shanghai).Format(schemas.DateTimeLayout)}
	if l, err := warning.ParseLevel(n.Level); err == nil {
		v.LevelZH = l.NameZH()
	}
	if n.Kind == KindReminder {
		v.KindZH = "签收提醒"
	}
	if v.CompanyName == "" {
		v.CompanyName = n.Company
	}
	v.Short = cut(n.Reason, 100)
	return v
}

// Subject is the one-line title of the notice, e.g. "红色（重大）预警发布：某化工（罐区A/5）".
func (v NoticeView) Subject() string {
	s := v.LevelZH + v.KindZH + "：" + v.CompanyName
	if v.SubjectName != "" {
		s += "（" + v.SubjectName + "）"
	}
	return s
}

// Markdown is the notice as the IM robots' markdown: title, model, reason, the
// disposal step and tier watching, and the time.
func (v NoticeView) Markdown() string {
	return fmt.Sprintf("### %s\n> 模型：%s\n> 原因：%s\n> 处置：%s（%s监管）\n> 时间：%s\n> 企业编码：%s",
		v.Subject(), v.ModelZH, cut(v.Reason, 900), v.StepZH, v.TierZH, v.Time, v.Company)
}

// cut shortens s to at most n characters, marking the cut with an ellipsis. The
// IM markdown cuts the reason at 900 (about 3 KB: WeCom takes 4096 bytes).
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(append(r[:n-1], '…'))
}

// ErrUnknownKind is returned for a notifier configured with a change kind that no
// warning event has.
var ErrUnknownKind = errors.New("alerting: unknown warning change kind")

// CheckKinds checks that every kind is one a warning event can have: a warning
// change of package warning or KindReminder.
func CheckKinds(kinds []string) error {
	known := map[string]bool{KindReminder: true}
	for _, k := range []warning.ChangeKind{warning.WarningRaised, warning.WarningEscalated, warning.WarningLowered,
		warning.WarningCleared, warning.WarningSettled, warning.DisposalActed, warning.DisposalEscalated,
		warning.DisposalOverdue} {
		known[string(k)] = true
	}
	for _, k := range kinds {
		if !known[k] {
			return fmt.Errorf("%w %q", ErrUnknownKind, k)
		}
	}
	return nil
}
