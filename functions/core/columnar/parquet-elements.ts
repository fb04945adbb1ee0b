/**
 * Parquet schema elements both copies write (the record copy and the OCSF copy): strings with
 * the converted and the logical type, so older and newer readers agree, and the standard
 * three-level MAP of strings.
 */
import type { SchemaElement } from 'hyparquet-writer';

/** REQUIRED or OPTIONAL. */
export const repetition = (required: boolean): SchemaElement['repetition_type'] =>
  required ? 'REQUIRED' : 'OPTIONAL';

/** A STRING leaf: BYTE_ARRAY with the UTF8 converted type and the STRING logical type. */
export const stringElement = (name: string, required: boolean): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: repetition(required),
});

/**
 * A `map<string,string>` column: `<name>` MAP → repeated `key_value` → required `key`, optional
 * `value`. The key must be REQUIRED, or readers such as pyarrow refuse the map.
 */
export const stringMapElements = (name: string, required: boolean): SchemaElement[] => [
  {
    name,
    repetition_type: repetition(required),
    converted_type: 'MAP',
    logical_type: { type: 'MAP' },
    num_children: 1,
  },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  stringElement('key', true),
  stringElement('value', false),
];
