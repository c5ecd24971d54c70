package warning

import "fmt"

// Level is a warning's 预警等级. The zero value, LevelNone, means no warning.
type Level int

// The warning levels, lowest first, so that levels compare with < and >.
const (
	LevelNone   Level = iota
	LevelBlue         // 蓝色 低
	LevelYellow       // 黄色 一般
	LevelOrange       // 橙色 较大
	LevelRed          // 红色 重大
)

var levelNames = [...]struct{ id, zh string }{
	{"none", "无"}, {"blue", "蓝色（低）"}, {"yellow", "黄色（一般）"},
	{"orange", "橙色（较大）"}, {"red", "红色（重大）"},
}

// String returns the level's identifier: none, blue, yellow, orange or red.
func (l Level) String() string {
	if l < LevelNone || l > LevelRed {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l].id
}

// NameZH returns the level as a regulator reads it, e.g. 红色（重大）.
func (l Level) NameZH() string {
	if l < LevelNone || l > LevelRed {
		return l.String()
	}
	return levelNames[l].zh
}

// ParseLevel reads a level identifier as written by String.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n.id == s {
			return Level(i), nil
		}
	}
	return LevelNone, fmt.Errorf("warning: unknown level %q", s)
}

// UnmarshalText reads a level identifier; JSON, YAML and map keys use it.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	*l = v
	return err
}

// MarshalText writes the level's identifier; JSON, YAML and map keys use it.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }
