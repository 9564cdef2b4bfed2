// ====================================================================
// XEP-0004: Data Forms
// Source: https://xmpp.org/extensions/xep-0004.html (v2.13.1)
// ====================================================================
import { NS } from "./namespaces.js";
import { type Element, xml } from "./xml.js";

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
}

export interface FormSpec {
  readonly type: "form" | "submit" | "result" | "cancel";
  readonly formType?: string;
  readonly title?: string;
  readonly instructions?: string;
  readonly fields: readonly FieldSpec[];
}

export function buildForm(spec: FormSpec): Element {
  const fields = spec.formType === undefined ? spec.fields : [{ var: "FORM_TYPE", type: "hidden" as const, values: [spec.formType] }, ...spec.fields];
  return xml("x", { xmlns: NS.DATA_FORMS, type: spec.type },
    spec.title === undefined ? undefined : xml("title", {}, spec.title),
    spec.instructions === undefined ? undefined : xml("instructions", {}, spec.instructions),
    fields.map((field) =>
      xml("field", { var: field.var, type: field.type, label: field.label },
        field.desc === undefined ? undefined : xml("desc", {}, field.desc),
        field.required ? xml("required") : undefined,
        (field.values ?? []).map((value) => xml("value", {}, value)))));
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
