package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
	"github.com/shandong-emergency/chemguard/web/form"
)

// ActionRecord is the audit action of storing an inspection record.
const ActionRecord = "inspection_record"

// FieldMessage is one reason a form was refused, bilingual.
type FieldMessage = form.FieldError

func init() {
	form.Register("inspection_kind", func(s string) bool { return KindZH(s) != "" },
		"{0}须为在线巡查、抽查或检查督导", "{0} must be patrol, spot or supervision")
}

// recordForm is the fixed part of an inspection record form. The check items
// (check_<item>) follow the company's live data and the photo bound the
// configuration, so submit checks those by hand; a 隐患 issued from the form
// is checked by the exchange validator, as every 隐患信息 is.
type recordForm struct {
	Kind string `form:"kind" label:"记录类型" validate:"inspection_kind"`
	Note string `form:"note" label:"检查情况" validate:"max=2000"`
}

func parseClientID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, chemguard.Errorf(chemguard.EInvalid, "表单缺少有效的客户端编号（client_id，UUID），请刷新页面后重填",
			"the form lacks a valid client_id (a UUID); reload the page")
	}
	return id, nil
}

// dangerIDs is the UUIDv5 namespace of hidden dangers issued from records: the
// danger's ID follows from the record's client_id, so a replay re-sends the
// same 隐患信息 (an update of the same key), never a second one.
var dangerIDs = uuid.MustParse("0b0d9a4e-6a52-4c1e-9a55-8f3d2f1c7e21")

// Reply is the JSON answer to the offline queue.
type Reply struct {
	ID        int64      `json:"id"`
	ClientID  uuid.UUID  `json:"client_id"`
	Duplicate bool       `json:"duplicate"` // the record was already stored: a replay
	DangerID  *uuid.UUID `json:"danger_id,omitempty"`
	URL       string     `json:"url"`
}

// formValues reads a urlencoded or multipart form.
type formValues struct {
	c     *fiber.Ctx
	mf    *multipart.Form
	files []*multipart.FileHeader
}

func (f formValues) get(k string) string {
	if f.mf != nil {
		if v := f.mf.Value[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	return strings.TrimSpace(strings.Clone(f.c.FormValue(k)))
}

// submit stores one inspection record (POST /m/records): the forms of 在线巡查,
// 抽查 and 检查督导, sent directly or replayed by the offline queue. The
// client_id makes it idempotent: a replay gets the stored record back. A
// finding issued as a hidden danger goes through the exchange pipeline.
func (a *App) submit(c *fiber.Ctx) error {
	if _, err := tierOf(c); err != nil {
		return err
	}
	f := formValues{c: c}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		mf, err := c.MultipartForm()
		if err != nil {
			return chemguard.Errorf(chemguard.EMalformed, "表单无法解析", "the multipart form cannot be parsed")
		}
		f.mf, f.files = mf, mf.File["photos"]
	}
	clientID, err := parseClientID(f.get("client_id"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := identity.UserFrom(c)
	// A replay: answer with what is stored, before anything else is done again.
	if r, err := a.store.RecordByClientID(ctx, clientID); err == nil {
		return a.answer(c, r, true, u)
	} else if chemguard.ErrorCode(err) != chemguard.ENotFound {
		return err
	}
	rf := recordForm{Kind: f.get("kind"), Note: f.get("note")}
	problems := form.Fields(&rf)
	// Without a kind nothing else can be judged (the checklist and evidence
	// rules are the kind's): refuse it before the company is looked up.
	if slices.ContainsFunc(problems, func(p FieldMessage) bool { return p.Field == "kind" }) {
		return form.Check(&rf)
	}
	kind := rf.Kind
	company := f.get("company")
	var spotID *int64
	if kind == KindSpot {
		id, _ := strconv.ParseInt(f.get("spot_id"), 10, 64)
		sp, err := a.store.Spot(ctx, id)
		if err != nil {
			return err
		}
		spotID, company = &sp.ID, sp.Company
	}
	e, err := a.reachable(c, company, policy.ObjInspection, policy.ActWrite)
	if err != nil {
		return err
	}
	now := a.cfg.Now()
	live, err := a.store.Live(ctx, e, now, a.cfg.OnlineWindow)
	if err != nil {
		return err
	}
	tier, _ := TierOf(u.Domain)
	r := Record{ClientID: clientID, Kind: kind, Company: e.Code, SpotCheckID: spotID, Inspector: u.Username,
		InspectorName: displayName(u), Domain: u.Domain, Tier: string(tier), Note: rf.Note,
		RecordedAt: recordedAt(f.get("recorded_at"), now), ReceivedAt: now, Result: "ok"}
	for _, item := range checklist(live, now) {
		switch f.get("check_" + item.Item) {
		case "ok":
			item.OK = true
		case "issue":
			r.Result = "issues"
		default:
			if kind == KindPatrol {
				problems = append(problems, FieldMessage{Field: "check_" + item.Item, Rule: "required",
					MessageZH: "请判定检查项「" + item.Label + "」是否符合", MessageEN: "check item " + item.Item + " needs a verdict"})
			}
			continue
		}
		r.Checklist = append(r.Checklist, item)
	}
	if kind == KindSpot && r.Note == "" && len(f.files) == 0 {
		problems = append(problems, FieldMessage{Field: "note", Rule: "evidence",
			MessageZH: "抽查须留存证据：请填写检查情况或拍摄照片", MessageEN: "a spot check needs evidence: a note or a photo"})
	}
	if len(f.files) > a.cfg.MaxPhotos {
		problems = append(problems, FieldMessage{Field: "photos", Rule: "too_many",
			MessageZH: fmt.Sprintf("照片最多 %d 张", a.cfg.MaxPhotos), MessageEN: fmt.Sprintf("at most %d photos", a.cfg.MaxPhotos)})
	}
	var danger []byte
	if f.get("issue_danger") == "1" {
		id := uuid.NewSHA1(dangerIDs, clientID[:])
		var errs []FieldMessage
		danger, errs = dangerRecord(f, id, r, now)
		problems = append(problems, errs...)
		if len(errs) == 0 {
			r.DangerID, r.Danger, r.Result = &id, danger, "issues"
		}
	}
	if len(problems) > 0 {
		return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: "表单有误，未保存", MessageEN: "the form has errors; nothing was stored",
			Details: problems}
	}
	if r.Photos, err = a.storePhotos(f.files); err != nil {
		return err
	}
	if danger != nil {
		if err := a.issue(c, e.Code, r, danger, now); err != nil {
			return err
		}
	}
	stored, replay, err := a.store.Insert(ctx, r)
	if err != nil {
		return err
	}
	if !replay {
		ev := a.guard.Actor(c)
		ev.Action, ev.Object, ev.Result = ActionRecord, "inspection:"+strconv.FormatInt(stored.ID, 10), "ok"
		ev.Detail = fiber.Map{"kind": kind, "company": e.Code, "client_id": clientID, "result": r.Result,
			"photos": len(r.Photos), "danger_id": r.DangerID}
		if err := a.audit.Record(ctx, ev); err != nil {
			return err
		}
	}
	return a.answer(c, stored, replay, u)
}

// answer replies with the stored record: JSON for the offline queue, a
// redirect to it for a plain form post. A client_id another account used is a
// conflict.
func (a *App) answer(c *fiber.Ctx, r Record, replay bool, u *identity.User) error {
	if r.Inspector != u.Username {
		return chemguard.Errorf(chemguard.EConflict, "该表单编号已被其他账号使用", "the client_id was used by another account")
	}
	url := Prefix + "/records/" + strconv.FormatInt(r.ID, 10)
	if wantsJSON(c) {
		return c.JSON(Reply{ID: r.ID, ClientID: r.ClientID, Duplicate: replay, DangerID: r.DangerID, URL: url})
	}
	return c.Redirect(url+"?sent=1", fiber.StatusSeeOther)
}

// recordedAt is when the phone says the form was filled in (RFC 3339), kept
// when within the last 7 days and not in the future; otherwise now.
func recordedAt(s string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.After(now) || now.Sub(t) > 7*24*time.Hour {
		return now
	}
	return t
}

func (a *App) storePhotos(files []*multipart.FileHeader) ([]Photo, error) {
	out := []Photo{}
	for i, fh := range files {
		if fh.Size > int64(a.cfg.MaxPhotoBytes) {
			return nil, chemguard.Errorf(chemguard.ETooLarge, "第 %d 张照片超过 %d MB", "photo %d is larger than %d MB",
				i+1, a.cfg.MaxPhotoBytes>>20)
		}
		file, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("inspect: open photo: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(file, int64(a.cfg.MaxPhotoBytes)+1))
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("inspect: read photo: %w", err)
		}
		if len(data) == 0 {
			continue // an empty file input
		}
		ct := http.DetectContentType(data)
		if !strings.HasPrefix(ct, "image/") {
			return nil, chemguard.Errorf(chemguard.EInvalid, "第 %d 个文件不是图片", "file %d is not an image", i+1)
		}
		ref, err := a.files.Put(data)
		if err != nil {
			return nil, &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "文件存储暂时不可用，请稍后重试",
				MessageEN: "the file store is unavailable; retry later", Err: err}
		}
		out = append(out, Photo{Ref: ref, ContentType: ct, Size: len(data)})
	}
	return out, nil
}

// dangerRecord builds the 隐患信息 (双重预防 表6) of a finding: 隐患来源 11
// 监管部门监督检查, 整改中, registered by the inspector now; and validates it
// with the exchange validator, so a bad finding is refused here with the
// validator's own errors rather than becoming a rejection in the company's record.
func dangerRecord(f formValues, id uuid.UUID, r Record, now time.Time) ([]byte, []FieldMessage) {
	deadline := f.get("danger_deadline")
	if len(deadline) == len(schemas.DateLayout) {
		deadline += " 23:59:59"
	}
	rec := map[string]any{
		"ID":                     id.String(),
		"HAZARD_CODE":            f.get("danger_hazard_code"),
		"DANGER_NAME":            f.get("danger_name"),
		"DANGER_LEVEL":           json.Number(orZero(f.get("danger_level"))),
		"REGIST_TIME":            r.RecordedAt.In(schemas.Shanghai).Format(schemas.DateTimeLayout),
		"REGISTRANT":             r.InspectorName,
		"DANGER_SRC":             schemas.DangerSrcSupervision,
		"DANGER_MANAGE_TYPE":     json.Number(orZero(f.get("danger_manage_type"))),
		"HAZARD_DANGER_TYPE":     json.Number(orZero(f.get("danger_type"))),
		"DANGER_DESC":            f.get("danger_desc"),
		"DANGER_REASON":          f.get("danger_reason"),
		"LIABLE_PERSON":          f.get("danger_liable_person"),
		"DANGER_MANAGE_DEADLINE": deadline,
		"CHECK_ACCEPT_PERSON":    "",
		"CHECK_ACCEPT_COMMENT":   "",
		"DANGER_STATE":           json.Number(schemas.DangerStateRectifying),
		"DELETED":                schemas.DeletedNo,
	}
	body, err := json.Marshal([]any{rec})
	if err != nil {
		return nil, []FieldMessage{{Field: "danger", Rule: "encode", MessageZH: "隐患信息无法编码", MessageEN: err.Error()}}
	}
	verdicts, err := validate.Batch(schemas.HiddenDangers, body, validate.Options{Now: now})
	if err != nil {
		return nil, []FieldMessage{{Field: "danger", Rule: "malformed", MessageZH: "隐患信息无法校验", MessageEN: err.Error()}}
	}
	var out []FieldMessage
	for _, v := range verdicts {
		for _, e := range v.Errors {
			out = append(out, FieldMessage{Field: e.Field, Rule: string(e.Rule),
				MessageZH: "隐患信息：" + e.MessageZH, MessageEN: "hidden danger: " + e.MessageEN})
		}
	}
	return body, out
}

// orZero keeps an empty number field invalid-but-parseable: the validator then
// names the field as missing rather than the JSON as malformed.
func orZero(s string) string {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "-1"
	}
	return s
}

// issue publishes the finding's 隐患信息 as the company's record through the
// exchange pipeline (validation, Kafka with acks=all, the sink), and audits the
// attempt. It returns once Kafka acknowledged.
func (a *App) issue(c *fiber.Ctx, company string, r Record, danger []byte, now time.Time) error {
	reply, err := a.exchange.Submit(c.UserContext(), schemas.HiddenDangers, company, danger, now)
	if err == nil && reply.Accepted != 1 {
		err = chemguard.Errorf(chemguard.EInvalid, "隐患信息未通过校验，未下发", "the hidden danger failed validation and was not issued")
	}
	ev := a.guard.Actor(c)
	ev.Action, ev.Object, ev.Result = "hidden_danger_issue", "hidden-dangers:"+company+"/"+r.DangerID.String(), "ok"
	ev.Detail = fiber.Map{"client_id": r.ClientID, "danger_src": schemas.DangerSrcSupervision}
	if err != nil {
		ev.Result = "failed"
	}
	if aerr := a.audit.Record(c.UserContext(), ev); aerr != nil {
		return aerr
	}
	return err
}
