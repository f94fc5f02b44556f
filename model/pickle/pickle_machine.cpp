#include "model/pickle/pickle_machine.h"

namespace ckpt::pickling {

inline void PickleMachine::step(uint8_t op)
{
    switch (op) {
    case PROTO:
        if (u8() > 5) fail("unsupported pickle protocol");
        if (m_opPos != m_start) anomaly("PROTO after the start of the pickle");
        return;
    case FRAME: {
        const uint64_t n = le<uint64_t>();
        // A frame longer than what is left: the C unpickler refuses it, pickle.py reads what
        // there is, as this does. A cut file then breaks off (no anomaly); one whose STOP lies
        // inside the short frame loads in one and not the other (an anomaly, at STOP).
        if (n > m_size - m_pos) m_shortFrame = m_opPos;
        if (m_opPos < m_frameEnd) anomaly("a FRAME opens inside another frame");
        m_frameEnd = m_pos + std::min(n, m_size - m_pos);
        return;
    }
    case MARK:
        if (m_marks.size() >= m_limits.maxMarks)
            overLimit("more than ", m_limits.maxMarks, " open MARKs");
        m_marks.push_back(m_stack.size());
        return;
    case POP:
        if (m_stack.size() > markBase()) m_stack.pop_back();
        else popMark();
        return;
    case POP_MARK: popMark(); return;
    case DUP: push(top()); return;

    case NONE:
        if (!m_none) m_none = make(ValueKind::None);
        push(m_none);
        return;
    case NEWTRUE:
    case NEWFALSE: push(boolean(op == NEWTRUE)); return;
    case BININT: push(integer(le<int32_t>())); return;
    case BININT1: push(integer(u8())); return;
    case BININT2: push(integer(le<uint16_t>())); return;
    case INT: {
        const auto s = line();
        if (s == "00" || s == "01") {
            push(boolean(s == "01"));
        } else {
            push(decimal(s));
        }
        return;
    }
    case LONG: {
        auto s = line();
        if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
        push(decimal(s));
        return;
    }
    case LONG1: push(longFromBytes(bytes(u8()))); return;
    case LONG4: {
        const int32_t n = le<int32_t>();
        if (n < 0) fail("LONG4 with a negative byte count");
        push(longFromBytes(bytes(uint64_t(n))));
        return;
    }
    case FLOAT: {
        const auto d = parseFloatLiteral(line());
        if (!d) fail("invalid float literal");
        Value *v = make(ValueKind::Float);
        v->real = *d;
        push(v);
        return;
    }
    case BINFLOAT: {
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | m_data[m_pos + i]; // big-endian
        m_pos += 8;
        Value *v = make(ValueKind::Float);
        std::memcpy(&v->real, &bits, 8);
        push(v);
        return;
    }

    case STRING: {
        auto decoded = decodeQuotedString(line());
        if (!decoded) fail("invalid STRING literal");
        push(ownedString(ValueKind::String, std::move(*decoded)));
        return;
    }
    case BINSTRING: {
        const int32_t n = le<int32_t>();
        if (n < 0) fail("BINSTRING with a negative length");
        push(string(ValueKind::String, bytes(uint64_t(n))));
        return;
    }
    case SHORT_BINSTRING: push(string(ValueKind::String, bytes(u8()))); return;
    case UNICODE: push(ownedString(ValueKind::String, decodeRawUnicodeEscape(line()))); return;
    case BINUNICODE: push(string(ValueKind::String, bytes(le<uint32_t>()))); return;
    case SHORT_BINUNICODE: push(string(ValueKind::String, bytes(u8()))); return;
    case BINUNICODE8: push(string(ValueKind::String, bytes(le<uint64_t>()))); return;
    case BINBYTES: push(string(ValueKind::Bytes, bytes(le<uint32_t>()))); return;
    case SHORT_BINBYTES: push(string(ValueKind::Bytes, bytes(u8()))); return;
    case BINBYTES8:
    case BYTEARRAY8: push(string(ValueKind::Bytes, bytes(le<uint64_t>()))); return;
    case NEXT_BUFFER: fail("out-of-band buffer requested, none available");
    case READONLY_BUFFER: top(); return;

    case EMPTY_LIST: push(make(ValueKind::List)); return;
    case EMPTY_TUPLE:
        if (!m_emptyTuple) m_emptyTuple = make(ValueKind::Tuple);
        push(m_emptyTuple);
        return;
    case EMPTY_DICT: push(make(ValueKind::Dict)); return;
    case EMPTY_SET: push(make(ValueKind::Set)); return;
    case LIST:
    case TUPLE:
    case FROZENSET: {
        Value *v = container(op == LIST    ? ValueKind::List
                             : op == TUPLE ? ValueKind::Tuple
                                           : ValueKind::FrozenSet,
                             markItems());
        dropMark();
        push(v);
        return;
    }
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
        const size_t n = op - TUPLE1 + 1;
        if (m_stack.size() < markBase() + n) fail("stack underflow");
        Value *v = container(ValueKind::Tuple, {m_stack.data() + m_stack.size() - n, n});
        m_stack.shrink(m_stack.size() - n);
        push(v);
        return;
    }
    case DICT: {
        const auto kv = markItems();
        if (kv.size() % 2) fail("DICT with an odd number of items");
        Value *v = container(ValueKind::Dict, kv);
        dropMark();
        push(v);
        return;
    }
    case APPEND: {
        Value *pair[1] = {pop()};
        addListItems(top(), pair);
        return;
    }
    case APPENDS: {
        const auto items = markItems();
        addListItems(markTarget(), items);
        dropMark();
        return;
    }
    case SETITEM: {
        Value *v = pop();
        Value *k = pop();
        Value *pair[2] = {k, v};
        addDictItems(top(), pair);
        return;
    }
    case SETITEMS: {
        const auto kv = markItems();
        addDictItems(markTarget(), kv);
        dropMark();
        return;
    }
    case ADDITEMS: {
        const auto items = markItems();
        Value *target = markTarget();
        if (target->kind != ValueKind::Set && target->kind != ValueKind::Object)
            fail("ADDITEMS to a value that is not a set");
        for (Value *item : items) {
            deepen(target, item);
            target->items.push_back(item);
        }
        dropMark();
        return;
    }

    case GLOBAL: {
        const auto module = line();
        const auto name = line();
        push(global(module, name, false));
        return;
    }
    case STACK_GLOBAL: {
        Value *name = pop();
        Value *module = pop();
        if (module->kind != ValueKind::String || name->kind != ValueKind::String)
            fail("STACK_GLOBAL needs two strings");
        push(global(module->text, name->text, true));
        return;
    }
    case INST: {
        const auto module = line();
        const auto name = line();
        Value *cls = global(module, name, false);
        Value *args = container(ValueKind::Tuple, markItems());
        dropMark();
        if (m_observer) m_observer->reduce(cls, args);
        push(call(cls, args, BuildKind::Inst));
        return;
    }
    case OBJ: {
        const auto items = markItems();
        if (items.empty()) fail("OBJ without a class");
        Value *cls = items.front();
        Value *args = container(ValueKind::Tuple, items.subspan(1));
        dropMark();
        if (m_observer) m_observer->reduce(cls, args);
        push(call(cls, args, BuildKind::Inst));
        return;
    }
    case REDUCE: {
        Value *args = pop();
        Value *callable = pop();
        if (args->kind != ValueKind::Tuple) fail("REDUCE arguments are not a tuple");
        if (m_observer) m_observer->reduce(callable, args);
        push(call(callable, args, BuildKind::Reduce));
        return;
    }
    case NEWOBJ: {
        Value *args = pop();
        Value *cls = pop();
        if (args->kind != ValueKind::Tuple) fail("NEWOBJ arguments are not a tuple");
        if (m_observer) m_observer->newObject(cls);
        push(call(cls, args, BuildKind::NewObj));
        return;
    }
    case NEWOBJ_EX: {
        Value *kwargs = pop();
        Value *args = pop();
        Value *cls = pop();
        if (m_observer) m_observer->newObject(cls);
        Value *pair[2] = {args, kwargs};
        push(call(cls, container(ValueKind::Tuple, pair), BuildKind::NewObjEx));
        return;
    }
    case BUILD: {
        Value *state = pop();
        Value *target = top();
        if (m_observer) m_observer->build(target);
        // Tuples take no state in Python; refusing them also keeps the shared () intact.
        if (!target->isContainer() || target->kind == ValueKind::Tuple)
            fail("BUILD on a value that cannot take state");
        // A list, set or dict made by opcodes has no __dict__: CPython's BUILD fails on it,
        // while an OrderedDict (made by REDUCE) takes its _metadata so. Read on, and say so.
        const bool plain = target->kind == ValueKind::List || target->kind == ValueKind::Set ||
                           target->kind == ValueKind::FrozenSet || (target->kind == ValueKind::Dict && !target->callable);
        if (plain) anomaly("BUILD on a plain list, set or dict, which CPython refuses");
        deepen(target, state);
        target->state = state;
        return;
    }
    case PERSID:
    case BINPERSID: {
        Value *pid = op == PERSID ? string(ValueKind::String, line()) : pop();
        if (m_observer) m_observer->persistentId(pid);
        Value *ref = make(ValueKind::PersistentRef);
        ref->args = pid;
        deepen(ref, pid);
        push(ref);
        return;
    }

    case PUT: {
        const auto key = parseDecimalInt(line());
        if (!key || *key < 0) fail("invalid PUT index");
        memoPut(uint64_t(*key));
        return;
    }
    case BINPUT: memoPut(u8()); return;
    case LONG_BINPUT: memoPut(le<uint32_t>()); return;
    case MEMOIZE: memoPut(m_memoCount); return;
    case GET: {
        const auto key = parseDecimalInt(line());
        if (!key || *key < 0) fail("invalid GET index");
        memoGet(uint64_t(*key));
        return;
    }
    case BINGET: memoGet(u8()); return;
    case LONG_BINGET: memoGet(le<uint32_t>()); return;

    case EXT1:
    case EXT2:
    case EXT4: fail("unregistered extension code");
    default: {
        static const char hex[] = "0123456789abcdef";
        fail(std::string("unknown opcode 0x") + hex[op >> 4] + hex[op & 15]);
    }
    }
}

UnpickleOutput PickleMachine::run()
{
    if (m_pos >= m_size) fail("empty pickle");
    for (;;) {
        m_opPos = m_pos;
        const uint8_t op = u8();
        m_used[op] = true;
        if (op == STOP) {
            checkFrame(op);
            if (m_shortFrame)
                anomaly("the FRAME at byte " + std::to_string(*m_shortFrame) +
                        " claims more bytes than there are: CPython's C unpickler refuses what pickle.py reads");
            if (m_observer) m_observer->opcodesUsed(m_used);
            UnpickleOutput out;
            out.root = pop();
            out.end = m_pos;
            out.globals = std::move(m_globals);
            return out;
        }
        step(op);
        checkFrame(op);
    }
}

} // namespace ckpt::pickling
