package schemas

// SpecialOperation is 特殊作业 表1 企业特殊作业数据 (GB 30871 work permits).
type SpecialOperation struct {
	ID                string   `json:"ID" seed:"编号,char,len=36,req,uuid" note:"主键，36 位 UUID"`
	CompanyCode       string   `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	TaskDate          Date     `json:"TASK_DATE" seed:"作业日期,date,req"`
	TaskType          string   `json:"TASK_TYPE" seed:"作业类型,char,len=2,req,code=task-type" note:"表2 作业类型附录的细类编码"`
	TaskPosition      string   `json:"TASK_POSITION" seed:"作业位置,text"`
	TaskBeginTime     DateTime `json:"TASK_BEGIN_TIME,omitzero" seed:"作业开始时间,datetime"`
	TaskEndTime       DateTime `json:"TASK_END_TIME,omitzero" seed:"作业结束时间,datetime" note:"不早于作业开始时间"`
	IsContractorTask  string   `json:"IS_CONTRACTOR_TASK" seed:"是否是承包商作业,char,len=1,req,code=yes-no"`
	TaskUnit          string   `json:"TASK_UNIT" seed:"作业单位,char,len=50" note:"作业的施工单位"`
	MajorPerson       string   `json:"MAJOR_PERSON" seed:"负责人,char,len=20,req" note:"负责人姓名"`
	MajorPersonMobile string   `json:"MAJOR_PERSON_MOBILE" seed:"负责人联系方式,char,len=20,req,mobile" note:"负责人手机号"`
	TaskContent       string   `json:"TASK_CONTENT" seed:"作业内容,text"`
	IsChanged         string   `json:"IS_CHANGED" seed:"作业是否变更过,char,len=1,req,code=yes-no"`
	ChangedReason     string   `json:"CHANGED_REASON" seed:"作业变更原因,text" note:"作业变更过(1)时必填"`
	IsCancelled       string   `json:"IS_CANCELLED" seed:"作业是否取消,char,len=1,req,code=yes-no"`
	CancelledReason   string   `json:"CANCELLED_REASON" seed:"作业取消原因,text" note:"作业取消(1)时必填"`
	File              File     `json:"FILE" seed:"作业票证,file,req,permit,maxbytes=10485760" note:"图片或 pdf（种类印为文本），base64 或 data URI，最大 10MB"`
}

// PositioningAlarm is 人员定位 表1 人员定位报警数据. Alarm and clear share one id.
type PositioningAlarm struct {
	ID            string   `json:"id" seed:"报警ID,char,len=36,req" note:"报警、销警应使用相同 ID"`
	CardNo        string   `json:"CARD_NO" seed:"卡号,char,len=36,req"`
	RealName      string   `json:"realName" seed:"报警人员名称,char,len=50,req"`
	Type          string   `json:"type" seed:"报警状态,char,len=36,req,code=positioning-status" note:"alarm 代表报警，alarm:handle 代表报警已处理"`
	Time          DateTime `json:"time" seed:"报警时间,datetime,req,event"`
	AlarmInfo     string   `json:"alarmInfo" seed:"报警信息,char,len=100,req"`
	AlarmType     string   `json:"alarmType" seed:"报警类型,char,len=2,req,code=positioning-alarm-type"`
	AlarmLocation string   `json:"alarmLocation" seed:"报警位置,char,len=36,req" note:"报警地点所在的区域"`
	Longitude     Number   `json:"LONGITUDE,omitzero" seed:"经度,decimal,len=9.6,lon"`
	Latitude      Number   `json:"LATITUDE,omitzero" seed:"纬度,decimal,len=9.6,lat"`
	FloorNo       string   `json:"floorNo" seed:"楼层号,char,len=5,req"`
	HandleTime    DateTime `json:"handleTime,omitzero" seed:"销警时间,datetime,event" note:"报警已处理(alarm:handle)时必填，不早于报警时间"`
	HandleInfo    string   `json:"handleInfo" seed:"处理信息,char,len=100" note:"报警已处理(alarm:handle)时必填"`
}
