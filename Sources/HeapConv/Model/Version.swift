/// The version of heapconv, as `--version` prints it and outputs record it.
public enum HeapConvVersion {
    public static let string = "0.1.0"
}
