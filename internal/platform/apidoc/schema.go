package apidoc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// schemas turns Go types into JSON Schemas with kin-openapi's openapi3gen,
// named struct types becoming components. What reflection cannot see is
// read from struct tags (see httpapi.Doc): doc, example, enum, format,
// minimum, maximum, required. A struct field is required when it is
// always sent (no omitempty and not a pointer) or tagged required:"true"
// (a request's pointer field that must be sent), and objects admit no other
// properties, as the decoders refuse unknown fields and the tests check
// that answers carry no undocumented one.
type schemas struct {
	gen        *openapi3gen.Generator
	components openapi3.Schemas
	names      map[reflect.Type]string
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	problemType = reflect.TypeFor[httpapi.Problem]()
	shapedType  = reflect.TypeFor[httpapi.Shaped]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// newSchemas prepares the generator for values: every named struct type
// reachable from them gets a component name, its own type name capitalised
// without a View suffix, or prefixed by its package where two types would
// share one.
func newSchemas(values []any) *schemas {
	s := &schemas{components: openapi3.Schemas{}, names: map[reflect.Type]string{}}
	seen := map[reflect.Type]bool{}
	var structs []reflect.Type
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		if shaped, ok := shapeOf(t); ok {
			walk(shaped)
			return
		}
		if t.Kind() != reflect.Struct || t == timeType {
			return
		}
		if t.Name() != "" && !isGeneric(t) {
			structs = append(structs, t)
		}
		for _, f := range reflect.VisibleFields(t) {
			if f.IsExported() {
				walk(f.Type)
			}
		}
	}
	for _, v := range values {
		if v != nil {
			walk(reflect.TypeOf(v))
		}
	}
	byName := map[string][]reflect.Type{}
	for _, t := range structs {
		byName[baseName(t)] = append(byName[baseName(t)], t)
	}
	for name, ts := range byName {
		for _, t := range ts {
			if len(ts) == 1 {
				s.names[t] = name
			} else {
				s.names[t] = capitalise(packageName(t)) + name
			}
		}
	}
	s.gen = openapi3gen.NewGenerator(
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
			ExportComponentSchemas: true, ExportTopLevelSchema: true}),
		openapi3gen.CreateTypeNameGenerator(func(t reflect.Type) string {
			if n, ok := s.names[t]; ok {
				return n
			}
			return t.Name()
		}),
		openapi3gen.SchemaCustomizer(s.customize),
	)
	return s
}

// ref returns the schema of v's type: a $ref for named structs.
func (s *schemas) ref(v any) (*openapi3.SchemaRef, error) {
	ref, err := s.gen.NewSchemaRefForValue(v, s.components)
	if err != nil {
		return nil, fmt.Errorf("schema of %T: %w", v, err)
	}
	return ref, nil
}

func isGeneric(t reflect.Type) bool { return strings.Contains(t.Name(), "[") }

func baseName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if trimmed := strings.TrimSuffix(name, "View"); trimmed != "" {
		name = trimmed
	}
	return capitalise(name)
}

func packageName(t reflect.Type) string {
	p := t.PkgPath()
	return p[strings.LastIndexByte(p, '/')+1:]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// shapeOf is the type a Shaped type's JSON looks like.
func shapeOf(t reflect.Type) (reflect.Type, bool) {
	if !t.Implements(shapedType) && !reflect.PointerTo(t).Implements(shapedType) {
		return nil, false
	}
	v := reflect.New(t).Interface().(httpapi.Shaped).APIShape()
	return reflect.TypeOf(v), true
}

// customize is openapi3gen's hook, called for every schema it makes: name
// is the JSON field name, t the Go type (pointers removed), tag the field's
// struct tag.
func (s *schemas) customize(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	nullable := schema.Nullable
	schema.Nullable = false // an OpenAPI 3.0 keyword; 3.1 says "null" in type
	if shaped, ok := shapeOf(t); ok {
		sub, err := openapi3gen.NewSchemaRefForValue(reflect.Zero(shaped).Interface(), nil,
			openapi3gen.SchemaCustomizer(s.customize))
		if err != nil {
			return err
		}
		*schema = *sub.Value
		return fieldTags(tag, shaped, schema)
	}
	if t == rawJSONType {
		// Raw JSON in openhouse's answers is an object kept as it came
		// (an audit entry's before and after, a record's summary), or null.
		*schema = openapi3.Schema{Type: &openapi3.Types{"object", "null"}}
		return fieldTags(tag, t, schema)
	}
	if t.Kind() == reflect.Struct && t != timeType {
		s.object(t, schema)
	} else if nullable && schema.Type != nil && tag.Get("required") != "true" {
		// A pointer without omitempty is sent as null when unset.
		types := append(*schema.Type, "null")
		schema.Type = &types
	}
	return fieldTags(tag, t, schema)
}

// object fills in what openapi3gen leaves out of a struct's schema.
func (s *schemas) object(t reflect.Type, schema *openapi3.Schema) {
	if schema.Properties == nil {
		schema.Type = &openapi3.Types{"object"}
		schema.Properties = openapi3.Schemas{}
	}
	if t != problemType {
		// RFC 9457 lets problems carry extension members; nothing else
		// has fields the document does not name.
		schema.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	}
	schema.Required = nil
	for _, f := range jsonFields(t) {
		prop, ok := schema.Properties[f.name]
		if !ok {
			continue
		}
		required := f.tag.Get("required") == "true"
		_, shaped := shapeOf(f.typ)
		if required || !f.omitempty && !shaped && f.typ.Kind() != reflect.Pointer {
			schema.Required = append(schema.Required, f.name)
		}
		// A pointer to a struct without omitempty is null when unset; the
		// struct is a component, so the property says "it, or null".
		if !f.omitempty && !required && f.typ.Kind() == reflect.Pointer && strings.HasPrefix(prop.Ref, "#/components/") {
			schema.Properties[f.name] = &openapi3.SchemaRef{Value: &openapi3.Schema{
				OneOf: openapi3.SchemaRefs{prop, {Value: &openapi3.Schema{Type: &openapi3.Types{"null"}}}}}}
		}
	}
	slices.Sort(schema.Required)
}

type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
	tag       reflect.StructTag
}

// jsonFields lists the fields encoding/json writes for t, embedded structs'
// fields promoted.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		tag, hasTag := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !hasTag {
			continue // promoted: its fields are listed themselves
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type, tag: f.Tag,
			omitempty: slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")})
	}
	return out
}

// fieldTags applies the doc, example, enum, format, minimum and maximum
// tags of a field to its schema.
func fieldTags(tag reflect.StructTag, t reflect.Type, schema *openapi3.Schema) error {
	if tag == "" {
		return nil
	}
	isStruct := t.Kind() == reflect.Struct && t != timeType
	if d := tag.Get("doc"); d != "" && !isStruct {
		schema.Description = d
	}
	if f := tag.Get("format"); f != "" {
		schema.Format = f
	}
	if e := tag.Get("enum"); e != "" {
		schema.Enum = nil
		for _, v := range strings.Split(e, ",") {
			val, err := parseLike(schema, v)
			if err != nil {
				return fmt.Errorf("enum of %s: %w", t, err)
			}
			schema.Enum = append(schema.Enum, val)
		}
	}
	if ex, ok := tag.Lookup("example"); ok && !isStruct {
		val, err := parseLike(schema, ex)
		if err != nil {
			return fmt.Errorf("example of %s: %w", t, err)
		}
		schema.Examples = []any{val}
	}
	for key, set := range map[string]func(float64){
		"minimum": func(v float64) { schema.Min = &v },
		"maximum": func(v float64) { schema.Max = &v },
	} {
		if s := tag.Get(key); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%s of %s: %w", key, t, err)
			}
			set(v)
		}
	}
	return nil
}

// parseLike reads a tag's text as a value of the schema's type: a number,
// a boolean, JSON for arrays and objects, or the text itself.
func parseLike(schema *openapi3.Schema, text string) (any, error) {
	switch {
	case schema.Type == nil:
		return text, nil
	case schema.Type.Includes("integer"):
		return strconv.ParseInt(text, 10, 64)
	case schema.Type.Includes("number"):
		return strconv.ParseFloat(text, 64)
	case schema.Type.Includes("boolean"):
		return strconv.ParseBool(text)
	case schema.Type.Includes("array"), schema.Type.Includes("object"):
		var v any
		err := json.Unmarshal([]byte(text), &v)
		return v, err
	}
	return text, nil
}
