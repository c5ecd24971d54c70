package warning

// Model names.
const (
	ModelEnterprise = "enterprise" // 企业风险预警模型
	ModelWarehouse  = "warehouse"  // 企业仓库风险预警模型
	ModelLeak       = "leak"       // 泄漏风险预警模型（分区域、分种类）
)

// Assessment is one model's judgement of one subject at one time: its score, level
// and the factors that make them up.
type Assessment struct {
	Model       string   `json:"model"`
	Company     string   `json:"company"`
	Subject     string   `json:"subject,omitempty"` // HAZARD_CODE (warehouse) or AREA/kind (leak)
	SubjectName string   `json:"subject_name,omitempty"`
	Score       float64  `json:"score"`
	Level       Level    `json:"level"`
	Factors     []Factor `json:"factors"`
}

// key identifies the warning an assessment belongs to: one per model and subject.
func (a *Assessment) key() string { return a.Model + "|" + a.Subject }

// MaxScore is the top of the 风险值 scale. Every model's 风险值 is the sum of its
// factors' points capped here, so one figure means the same in every model and on
// every page (0–100, the same level bands); the factors still show every point.
const MaxScore = 100

func assessment(model, company, subject, name string, f *factors, l Levels) Assessment {
	score := min(f.score, MaxScore)
	return Assessment{Model: model, Company: company, Subject: subject, SubjectName: name,
		Score: score, Level: l.Of(score), Factors: f.list}
}
