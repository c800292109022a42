import HeapConv
print("stub")
