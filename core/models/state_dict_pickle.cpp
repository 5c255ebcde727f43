// state_dict_pickle.cpp: the restricted unpickler of torch.save'd state
// dicts and the checks on what it returns.
#include "models/state_dict_pickle.h"

#include "common/error.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace ft {

namespace {

// Objects refer to each other by plain pointer: the Unpickler owns them all,
// so a pickle that builds a cycle (a list appended to itself) cannot leak.
struct PyObject;
using PyRef = PyObject *;

// The few Python values a state dict pickle holds.
struct PyObject {
    enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
    Kind kind = Kind::None;
    std::int64_t integer = 0;                     // Int, Bool; Storage: element count
    double real = 0.0;                            // Float
    std::string text;                             // Str, Bytes, Global ("module.name"), Storage key
    std::vector<PyRef> items;                     // Tuple, List
    std::vector<std::pair<PyRef, PyRef>> entries; // Dict, in insertion order
    safetensors::Dtype dtype = safetensors::Dtype::F32; // Storage, Tensor
    PyRef storage = nullptr;                      // Tensor
    std::int64_t offset = 0;                      // Tensor: storage offset in elements
    std::vector<std::int64_t> sizes, strides;     // Tensor
};

const std::map<std::string, safetensors::Dtype> &storageTypes()
{
    using safetensors::Dtype;
    static const std::map<std::string, Dtype> kTypes = {
        {"torch.FloatStorage", Dtype::F32}, {"torch.HalfStorage", Dtype::F16},  {"torch.BFloat16Storage", Dtype::BF16},
        {"torch.DoubleStorage", Dtype::F64}, {"torch.LongStorage", Dtype::I64}, {"torch.IntStorage", Dtype::I32},
        {"torch.ShortStorage", Dtype::I16},  {"torch.CharStorage", Dtype::I8},  {"torch.ByteStorage", Dtype::U8},
        {"torch.BoolStorage", Dtype::Bool},
    };
    return kTypes;
}

bool isKnownGlobal(const std::string &name)
{
    return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
           name == "torch._utils._rebuild_tensor" || name == "torch._utils._rebuild_parameter" ||
           name == "torch._utils._rebuild_parameter_with_state" || storageTypes().count(name) > 0;
}

class Unpickler {
public:
    Unpickler(std::string_view data, const std::string &file) : mData(data), mFile(file) {}

    PyRef run()
    {
        while (true) {
            const std::uint8_t op = byte();
            if (op == '.')
                break;
            step(op);
        }
        if (mStack.size() != 1)
            fail("the pickle does not end with exactly one value");
        return mStack.back();
    }

private:
    [[noreturn]] void fail(const std::string &what) const
    {
        throw Error(ErrorKind::InvalidInput, mFile + ": data.pkl at byte " + std::to_string(mPos) + ": " + what);
    }

    std::string_view take(std::uint64_t count)
    {
        if (count > mData.size() - mPos)
            fail("truncated pickle");
        const std::string_view bytes = mData.substr(mPos, count);
        mPos += count;
        return bytes;
    }
    template <typename T> T little()
    {
        T value;
        std::memcpy(&value, take(sizeof(T)).data(), sizeof(T));
        return value;
    }
    std::uint8_t byte() { return little<std::uint8_t>(); }
    std::string line()
    {
        const std::size_t end = mData.find('\n', mPos);
        if (end == std::string_view::npos)
            fail("truncated pickle");
        std::string text(mData.substr(mPos, end - mPos));
        mPos = end + 1;
        return text;
    }

    PyRef pop()
    {
        if (mStack.empty() || (!mMarks.empty() && mStack.size() <= mMarks.back()))
            fail("stack underflow");
        PyRef top = std::move(mStack.back());
        mStack.pop_back();
        return top;
    }
    PyRef &top()
    {
        if (mStack.empty())
            fail("stack underflow");
        return mStack.back();
    }
    std::vector<PyRef> popMark()
    {
        if (mMarks.empty())
            fail("no mark on the stack");
        const std::size_t mark = mMarks.back();
        mMarks.pop_back();
        std::vector<PyRef> items(mStack.begin() + std::ptrdiff_t(mark), mStack.end());
        mStack.resize(mark);
        return items;
    }
    PyRef make(PyObject::Kind kind)
    {
        mObjects.push_back(std::make_unique<PyObject>());
        mObjects.back()->kind = kind;
        return mObjects.back().get();
    }
    void push(PyRef object) { mStack.push_back(object); }
    void pushInt(std::int64_t value)
    {
        PyRef object = make(PyObject::Kind::Int);
        object->integer = value;
        push(std::move(object));
    }
    void pushText(PyObject::Kind kind, std::string_view text)
    {
        PyRef object = make(kind);
        object->text = std::string(text);
        push(std::move(object));
    }
    void pushTuple(std::vector<PyRef> items)
    {
        PyRef tuple = make(PyObject::Kind::Tuple);
        tuple->items = std::move(items);
        push(std::move(tuple));
    }
    void pushGlobal(const std::string &module, const std::string &name)
    {
        const std::string qualified = module + "." + name;
        if (!isKnownGlobal(qualified))
            fail("refusing to load '" + qualified + "': a state dict of tensors needs no such class");
        pushText(PyObject::Kind::Global, qualified);
    }
    void memoize(std::uint64_t index) { mMemo[index] = top(); }
    void recall(std::uint64_t index)
    {
        const auto it = mMemo.find(index);
        if (it == mMemo.end())
            fail("memo entry " + std::to_string(index) + " is not defined");
        push(it->second);
    }
    void setItems(std::vector<PyRef> items)
    {
        PyRef &dict = top();
        if (dict->kind != PyObject::Kind::Dict || items.size() % 2 != 0)
            fail("SETITEMS on something other than a dict");
        for (std::size_t i = 0; i < items.size(); i += 2)
            dict->entries.emplace_back(items[i], items[i + 1]);
    }

    void step(std::uint8_t op);
    PyRef reduce(const PyRef &callable, const PyRef &args);
    PyRef persistentLoad(const PyRef &pid);

    std::string_view mData;
    std::size_t mPos = 0;
    const std::string &mFile;
    std::vector<PyRef> mStack;
    std::vector<std::size_t> mMarks;
    std::unordered_map<std::uint64_t, PyRef> mMemo;
    std::map<std::string, PyRef> mStorages;
    std::vector<std::unique_ptr<PyObject>> mObjects; // every object made, alive as long as the Unpickler
};

void Unpickler::step(std::uint8_t op)
{
    using Kind = PyObject::Kind;
    switch (op) {
    case 0x80: byte(); break;              // PROTO
    case 0x95: little<std::uint64_t>(); break; // FRAME
    case '(': mMarks.push_back(mStack.size()); break;
    case 'N': push(make(Kind::None)); break;
    case 0x88:
    case 0x89: {                            // NEWTRUE, NEWFALSE
        PyRef value = make(Kind::Bool);
        value->integer = op == 0x88;
        push(std::move(value));
        break;
    }
    case 'J': pushInt(little<std::int32_t>()); break;
    case 'K': pushInt(little<std::uint8_t>()); break;
    case 'M': pushInt(little<std::uint16_t>()); break;
    case 0x8a: {                            // LONG1: little-endian two's complement
        const std::uint8_t count = byte();
        if (count > 8)
            fail("integer too large");
        const std::string_view bytes = take(count);
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < count; ++i)
            value |= std::uint64_t(std::uint8_t(bytes[i])) << (8 * i);
        if (count > 0 && count < 8 && (std::uint8_t(bytes[count - 1]) & 0x80))
            value |= ~std::uint64_t(0) << (8 * count);
        pushInt(std::int64_t(value));
        break;
    }
    case 'G': {                             // BINFLOAT: big-endian double
        std::uint64_t bits = __builtin_bswap64(little<std::uint64_t>());
        PyRef value = make(Kind::Float);
        std::memcpy(&value->real, &bits, sizeof bits);
        push(std::move(value));
        break;
    }
    case 'X': pushText(Kind::Str, take(little<std::uint32_t>())); break;
    case 0x8c: pushText(Kind::Str, take(byte())); break;
    case 0x8d: pushText(Kind::Str, take(little<std::uint64_t>())); break;
    case 'T': pushText(Kind::Bytes, take(little<std::uint32_t>())); break;
    case 'U': pushText(Kind::Bytes, take(byte())); break;
    case 'B': pushText(Kind::Bytes, take(little<std::uint32_t>())); break;
    case 'C': pushText(Kind::Bytes, take(byte())); break;
    case 0x8e: pushText(Kind::Bytes, take(little<std::uint64_t>())); break;
    case ')': pushTuple({}); break;
    case 't': pushTuple(popMark()); break;
    case 0x85: { PyRef a = pop(); pushTuple({a}); break; }
    case 0x86: { PyRef b = pop(), a = pop(); pushTuple({a, b}); break; }
    case 0x87: { PyRef c = pop(), b = pop(), a = pop(); pushTuple({a, b, c}); break; }
    case ']': push(make(Kind::List)); break;
    case '}': push(make(Kind::Dict)); break;
    case 'a': {
        PyRef item = pop();
        if (top()->kind != Kind::List)
            fail("APPEND to something other than a list");
        top()->items.push_back(std::move(item));
        break;
    }
    case 'e': {
        std::vector<PyRef> items = popMark();
        if (top()->kind != Kind::List)
            fail("APPENDS to something other than a list");
        top()->items.insert(top()->items.end(), items.begin(), items.end());
        break;
    }
    case 's': { PyRef value = pop(), key = pop(); setItems({key, value}); break; }
    case 'u': setItems(popMark()); break;
    case 'q': memoize(byte()); break;
    case 'r': memoize(little<std::uint32_t>()); break;
    case 0x94: memoize(mMemo.size()); break;
    case 'h': recall(byte()); break;
    case 'j': recall(little<std::uint32_t>()); break;
    case 'c': {
        const std::string module = line();
        pushGlobal(module, line());
        break;
    }
    case 0x93: {                            // STACK_GLOBAL
        PyRef name = pop(), module = pop();
        if (name->kind != Kind::Str || module->kind != Kind::Str)
            fail("STACK_GLOBAL needs two strings");
        pushGlobal(module->text, name->text);
        break;
    }
    case 'R': { PyRef args = pop(), callable = pop(); push(reduce(callable, args)); break; }
    case 'Q': push(persistentLoad(pop())); break;
    case 'b': {                             // BUILD: state of an OrderedDict (_metadata) is not needed
        pop();
        if (top()->kind != Kind::Dict && top()->kind != Kind::Tensor)
            fail("BUILD on an object this reader does not create");
        break;
    }
    default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", unsigned(op));
        fail(std::string("unsupported pickle opcode ") + hex);
    }
    }
}

std::vector<std::int64_t> intTuple(const PyRef &tuple, const char *what, const std::function<void(std::string)> &fail)
{
    if (tuple->kind != PyObject::Kind::Tuple)
        fail(std::string(what) + " is not a tuple");
    std::vector<std::int64_t> values;
    for (const PyRef &item : tuple->items) {
        if (item->kind != PyObject::Kind::Int || item->integer < 0)
            fail(std::string(what) + " holds something other than a non-negative integer");
        values.push_back(item->integer);
    }
    return values;
}

PyRef Unpickler::reduce(const PyRef &callable, const PyRef &args)
{
    using Kind = PyObject::Kind;
    if (callable->kind != Kind::Global || args->kind != Kind::Tuple)
        fail("REDUCE needs a known class and an argument tuple");
    const std::string &name = callable->text;
    const auto &a = args->items;
    const auto failWith = [this](const std::string &what) { fail(what); };
    if (name == "collections.OrderedDict") {
        if (!a.empty())
            fail("OrderedDict with arguments");
        return make(Kind::Dict);
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
        if (a.size() < 4 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int)
            fail(name + " with unexpected arguments");
        PyRef tensor = make(Kind::Tensor);
        tensor->storage = a[0];
        tensor->dtype = a[0]->dtype;
        tensor->offset = a[1]->integer;
        tensor->sizes = intTuple(a[2], "tensor size", failWith);
        tensor->strides = intTuple(a[3], "tensor stride", failWith);
        if (tensor->sizes.size() != tensor->strides.size() || tensor->offset < 0)
            fail("tensor size and stride do not match");
        return tensor;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
        if (a.empty() || a[0]->kind != Kind::Tensor)
            fail(name + " without a tensor");
        return a[0];
    }
    fail("'" + name + "' cannot be called");
}

// ('storage', torch.FloatStorage, key, location, numel): one record of the archive.
PyRef Unpickler::persistentLoad(const PyRef &pid)
{
    using Kind = PyObject::Kind;
    const auto &a = pid->items;
    if (pid->kind != Kind::Tuple || a.size() != 5 || a[0]->kind != Kind::Str || a[0]->text != "storage" ||
        a[1]->kind != Kind::Global || a[2]->kind != Kind::Str || a[4]->kind != Kind::Int || a[4]->integer < 0)
        fail("unexpected persistent id (not a torch storage)");
    const auto type = storageTypes().find(a[1]->text);
    if (type == storageTypes().end())
        fail("'" + a[1]->text + "' is not a storage type");
    PyRef &storage = mStorages[a[2]->text];
    if (!storage) {
        storage = make(Kind::Storage);
        storage->text = a[2]->text;
        storage->dtype = type->second;
        storage->integer = a[4]->integer;
    } else if (storage->dtype != type->second || storage->integer != a[4]->integer) {
        fail("storage " + a[2]->text + " is described twice, differently");
    }
    return storage;
}

// Bounds and density of a view, with every product checked for overflow.
void checkView(PickledTensor &tensor, const std::string &file)
{
    std::int64_t numel = 1, last = tensor.offset, expectedStride = 1;
    bool contiguous = true, overflow = false;
    for (std::size_t i = tensor.sizes.size(); i-- > 0;) {
        std::int64_t reach = 0;
        overflow |= __builtin_mul_overflow(numel, tensor.sizes[i], &numel);
        overflow |= __builtin_mul_overflow(std::max<std::int64_t>(tensor.sizes[i] - 1, 0), tensor.strides[i], &reach);
        overflow |= __builtin_add_overflow(last, reach, &last);
        contiguous &= tensor.sizes[i] == 1 || tensor.strides[i] == expectedStride;
        overflow |= __builtin_mul_overflow(expectedStride, std::max<std::int64_t>(tensor.sizes[i], 1), &expectedStride);
    }
    const std::int64_t elements = tensor.storage.elements;
    if (overflow || (numel > 0 && (last >= elements || tensor.offset >= elements)))
        throw Error(ErrorKind::InvalidInput, file + ": tensor '" + tensor.name + "' reaches past the end of its storage");
    tensor.numel = numel;
    tensor.contiguous = contiguous;
}

} // namespace

std::vector<PickledTensor> parseStateDictPickle(std::string_view pickle, const std::string &file)
{
    Unpickler unpickler(pickle, file); // owns the objects `root` leads to
    const PyRef root = unpickler.run();
    if (root->kind != PyObject::Kind::Dict)
        throw Error(ErrorKind::InvalidInput, file + ": holds no state dict (expected {name: tensor})");
    std::set<std::string> seen;
    std::vector<PickledTensor> tensors;
    for (const auto &[key, value] : root->entries) {
        if (key->kind != PyObject::Kind::Str)
            throw Error(ErrorKind::InvalidInput, file + ": a state dict key is not a string");
        if (value->kind != PyObject::Kind::Tensor)
            throw Error(ErrorKind::InvalidInput, file + ": entry '" + key->text + "' is not a tensor");
        if (!seen.insert(key->text).second)
            throw Error(ErrorKind::InvalidInput, file + ": tensor '" + key->text + "' appears twice");
        const PyObject &storage = *value->storage;
        PickledTensor tensor{key->text, {storage.text, storage.dtype, storage.integer}, value->offset, value->sizes,
                             value->strides};
        checkView(tensor, file);
        tensors.push_back(std::move(tensor));
    }
    return tensors;
}

} // namespace ft
