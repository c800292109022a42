/// Apache Parquet (`.parquet`), read and written: the columnar file DuckDB, pandas, polars, Spark and Trino
/// read directly. `Schemas/parquet.md` describes the table heapconv writes.
public enum ParquetFormat {
    public static let entry = FormatEntry(
        name: "parquet", extensions: ["parquet"], allowsGzip: false, compressesItself: true, readerIsLight: true,
        summary: "Apache Parquet, GZIP pages: DuckDB, pandas, polars, Spark (read, write)",
        makeReader: { context throws(ConversionError) in try ParquetReader(context: context) },
        makeWriter: { context throws(ConversionError) in
            try ParquetWriter(output: context.output, name: context.name, inputName: context.inputName,
                              inputFacts: context.inputFacts, level: context.options.compressionLevel ?? defaultLevel)
        })

    /// The zlib level of pages when `--level` is not given: level 6 makes files 2 % smaller at half the
    /// speed (benchmark trace: 60.6 against 61.8 MB, 4.3 against 2.4 s).
    public static let defaultLevel: Int32 = 1
}
