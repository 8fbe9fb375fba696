import type { ComponentChildren } from 'preact';
import './table.css';

/** One column of a `DataTable`: its header and what each row shows in it. */
export interface Column<Row> {
  /** Header text; on a table that stacks on phones it also labels each cell. */
  header: string;
  /** Keep the header for screen readers only, e.g. above a column of buttons. */
  headerHidden?: boolean;
  /** What one row shows in this column. */
  cell: (row: Row) => ComponentChildren;
  /** `end` right-aligns the header and the cells, for numbers; `start` by default. */
  align?: 'start' | 'end';
  /** Class of the column's body cells, e.g. `actions`. */
  cellClass?: string;
  /** The cell names its row (`<th scope="row">`), e.g. the measurement of a row of stats. */
  rowHeader?: boolean;
}

/** What a `DataTable` shows and how. */
export interface DataTableProps<Row> {
  /** Names the table for assistive technology; shown only with `captionVisible`. */
  caption: ComponentChildren;
  /** Show the caption above the table instead of keeping it for screen readers only. */
  captionVisible?: boolean;
  /** The columns in order; `false` leaves one out, e.g. a column only admins see. */
  columns: (Column<Row> | false)[];
  /** The rows, or null while there are none to show yet. */
  rows: readonly Row[] | null;
  /** A stable key for each row, e.g. its id (the index helps where rows have none). */
  rowKey: (row: Row, index: number) => string | number;
  /** Shown in place of the table when `rows` is empty, e.g. "No requests are waiting." */
  empty: ComponentChildren;
  /** Rows are on their way: "Loading…" while `rows` is null, or the shown table is marked busy. */
  loading?: boolean;
  /** Class of the `<table>`, for the page's own styles and for tests. */
  class?: string;
  /** On phones each row becomes a block of cells, each labelled by its column's header. */
  stackOnPhones?: boolean;
}

const alignClass = (align?: 'start' | 'end') => (align === 'end' ? 'align-end' : undefined);

const joinClasses = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(' ') || undefined;

/** The console's one table: caption, column headers and a row per item, or a line saying why there are none. */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const { rows } = props;
  if (rows === null) return props.loading ? <p class="muted">Loading…</p> : null;
  if (rows.length === 0) return <p class="muted">{props.empty}</p>;
  const columns = props.columns.filter((column): column is Column<Row> => column !== false);
  return (
    <div class="table-wrap">
      <table class={joinClasses(props.class, props.stackOnPhones && 'stack-table')} aria-busy={props.loading || undefined}>
        <caption class={props.captionVisible ? undefined : 'sr-only'}>{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" class={alignClass(column.align)}>
                {column.headerHidden ? <span class="sr-only">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={props.rowKey(row, index)}>
              {columns.map((column) => (
                <DataCell key={column.header} column={column} row={row} labelled={props.stackOnPhones} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One body cell: a `<td>`, or a `<th scope="row">` for the column that names its row. */
function DataCell<Row>(props: { column: Column<Row>; row: Row; labelled?: boolean }) {
  const { column } = props;
  const className = joinClasses(column.cellClass, alignClass(column.align));
  if (column.rowHeader)
    return (
      <th scope="row" class={className}>
        {column.cell(props.row)}
      </th>
    );
  const label = props.labelled && !column.headerHidden ? column.header : undefined;
  return (
    <td class={className} data-label={label}>
      {column.cell(props.row)}
    </td>
  );
}
