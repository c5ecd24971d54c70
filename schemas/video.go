package schemas

// VideoDevice is 智能视频 表2 视频智能分析设备基础信息.
type VideoDevice struct {
	DeviceID    string `json:"DEVICE_ID" seed:"设备ID,char,len=36,req,uuid" note:"36 位 uuid"`
	DeviceCode  string `json:"DEVICE_CODE" seed:"设备编码,char,len=36,req"`
	CompanyCode string `json:"COMPANY_CODE" seed:"所属企业,char,len=36,req"`
	DeviceName  string `json:"DEVICE_NAME" seed:"设备名称,char,len=100,req"`
	DeviceDesc  string `json:"DEVICE_DESC" seed:"设备描述,char,len=500"`
}

// VideoDeviceStatus is 智能视频 表3 视频智能分析设备运行状态数据, every 10 minutes.
type VideoDeviceStatus struct {
	DeviceCode string   `json:"DEVICE_CODE" seed:"设备编码,char,len=36,req"`
	DateTime   DateTime `json:"DATE_TIME" seed:"上报时间,datetime,req,event"`
	RunStatus  string   `json:"RUN_STATUS" seed:"运行状态,char,req,code=run-status" note:"1 正常 0 异常"`
}

// VideoAlarm is 智能视频 表4 违规行为、异常状态视频报警/销警数据.
type VideoAlarm struct {
	AlarmID     string   `json:"ALARM_ID" seed:"报警id,char,len=36,req,uuid" note:"36 位 uuid"`
	AlarmType   string   `json:"ALARM_TYPE" seed:"报警类型,char,len=2,req,code=video-alarm-type" note:"表1 报警类型"`
	AlarmStatus string   `json:"ALARM_STATUS" seed:"报警状态,char,len=1,req,code=video-alarm-status" note:"1-报警 0-销警"`
	AlarmTime   DateTime `json:"ALARM_TIME" seed:"报警/销警时间,datetime,req,event"`
	DeviceCode  string   `json:"DEVICE_CODE" seed:"视频智能分析设备编码,char,len=36"`
	VideoCode   string   `json:"VIDEO_CODE" seed:"报警的视频通道编码,char,len=36,req,gb28181" note:"GB28181：9位企业编码+0132+7位流水号"`
	AlarmImage  File     `json:"ALARM_IMAGE" seed:"报警/销警图片,file,req,image,maxbytes=4194304" note:"最大4MB，PNG、JPG、JPEG、BMP"`
}

// GasStationVideoDevice is 加油站 表2 视频智能分析设备基础信息 (所属加油站 in COMPANY_CODE).
type GasStationVideoDevice VideoDevice

// GasStationVideoDeviceStatus is 加油站 表3 视频智能分析设备状态监控数据.
type GasStationVideoDeviceStatus VideoDeviceStatus

// GasStationVideoAlarm is 加油站 表4 违规行为、异常状态视频报警/销警数据. Its alarm
// types are the gas-station code space, not the enterprise one.
type GasStationVideoAlarm struct {
	AlarmID     string   `json:"ALARM_ID" seed:"报警id,char,len=36,req,uuid" note:"36 位 uuid"`
	AlarmType   string   `json:"ALARM_TYPE" seed:"报警类型,char,len=2,req,code=gas-station-alarm-type" note:"加油站 表1 报警类型"`
	AlarmStatus string   `json:"ALARM_STATUS" seed:"报警状态,char,len=1,req,code=video-alarm-status" note:"1-报警 0-销警"`
	AlarmTime   DateTime `json:"ALARM_TIME" seed:"报警/销警时间,datetime,req,event"`
	DeviceCode  string   `json:"DEVICE_CODE" seed:"视频智能分析设备编码,char,len=36"`
	VideoCode   string   `json:"VIDEO_CODE" seed:"报警的视频通道编码,char,len=36,req,gb28181" note:"GB28181：9位企业编码+0132+7位流水号"`
	AlarmImage  File     `json:"ALARM_IMAGE" seed:"报警/销警图片,file,req,image,maxbytes=4194304" note:"最大4MB，PNG、JPG、JPEG、BMP"`
}
