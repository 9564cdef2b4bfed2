// ====================================================================
// XEP-0004: Data Forms
// Source: https://xmpp.org/extensions/xep-0004.html (v2.13.1)
// ====================================================================
import { NS } from "./namespaces.js";
import { type Element, xml } from "./xml.js";
import { isXmlText } from "./xml-text.js";

export type FieldType =
  | "boolean" | "fixed" | "hidden" | "jid-multi" | "jid-single"
  | "list-multi" | "list-single" | "text-multi" | "text-private" | "text-single";

export interface FieldSpec {
  readonly var: string;
  readonly type?: FieldType;
  readonly label?: string;
  readonly desc?: string;
  readonly required?: boolean;
  readonly values?: readonly string[];
  /** For list-single and list-multi. */
  readonly options?: ReadonlyArray<{ readonly label: string; readonly value: string }>;
}

export interface FormSpec {
  readonly type: "form" | "submit" | "result" | "cancel";
  readonly formType?: string;
  readonly title?: string;
  readonly instructions?: string;
  readonly fields: readonly FieldSpec[];
  /** §3.4: a table of results; `reported` names the columns, each item is a row. */
  readonly table?: { readonly reported: readonly FieldSpec[]; readonly items: ReadonlyArray<Readonly<Record<string, string>>> };
}

export function buildForm(spec: FormSpec): Element {
  const fields = spec.formType === undefined ? spec.fields : [{ var: "FORM_TYPE", type: "hidden" as const, values: [spec.formType] }, ...spec.fields];
  return xml("x", { xmlns: NS.DATA_FORMS, type: spec.type },
    spec.title === undefined ? undefined : xml("title", {}, spec.title),
    spec.instructions === undefined ? undefined : xml("instructions", {}, spec.instructions),
    fields.map(buildField),
    spec.table === undefined ? undefined : [
      xml("reported", {}, spec.table.reported.map((column) => xml("field", { var: column.var, type: column.type, label: column.label }))),
      spec.table.items.map((row) =>
        xml("item", {}, spec.table?.reported.map((column) => xml("field", { var: column.var }, xml("value", {}, row[column.var] ?? ""))))),
    ]);
}

function buildField(field: FieldSpec): Element {
  return xml("field", { var: field.var, type: field.type, label: field.label },
    field.desc === undefined ? undefined : xml("desc", {}, field.desc),
    field.required ? xml("required") : undefined,
    (field.values ?? []).map((value) => xml("value", {}, value)),
    (field.options ?? []).map((option) => xml("option", { label: option.label }, xml("value", {}, option.value))));
}

export interface SubmittedForm {
  readonly type: string;
  readonly formType: string | undefined;
  /** Field values by var; a field sent twice keeps its first occurrence (§3.2: vars are unique). */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

export function parseForm(x: Element): SubmittedForm {
  const fields = new Map<string, string[]>();
  for (const field of x.getChildren("field")) {
    const name = field.attrs.var;
    if (name === undefined || fields.has(name)) continue;
    fields.set(name, field.getChildren("value").map((value) => value.getText()));
  }
  return { type: x.attrs.type ?? "", formType: fields.get("FORM_TYPE")?.[0], fields };
}

export function fieldValue(form: SubmittedForm, name: string): string | undefined {
  return form.fields.get(name)?.[0];
}

/** The first field of a submitted form with a value XML cannot carry (xml-text.ts). */
export function nonXmlField(form: SubmittedForm): string | undefined {
  for (const [name, values] of form.fields) if (!isXmlText(name) || !values.every(isXmlText)) return isXmlText(name) ? name : "a field name";
  return undefined;
}

/** XEP-0004 §3.3 boolean: "1" or "true". */
export function fieldBoolean(form: SubmittedForm, name: string): boolean {
  const value = fieldValue(form, name);
  return value === "1" || value === "true";
}
