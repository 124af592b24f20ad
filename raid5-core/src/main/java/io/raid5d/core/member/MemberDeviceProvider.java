package io.raid5d.core.member;

/**
 * Members that are not local paths: a module that can open some other kind (remote exports
 * named by URI) registers one of these through {@link java.util.ServiceLoader}, and
 * {@link MemberDevices} hands it every member name it {@linkplain #names claims}. The engine
 * sees only {@link MemberDevice}s.
 */
public interface MemberDeviceProvider {

    /** True when {@code member} is this provider's to open (e.g. it starts with its URI scheme). */
    boolean names(String member);

    /**
     * Opens {@code member} for an array's use.
     *
     * @throws MemberOpenException naming the member and why it cannot be opened
     */
    MemberDevice open(String member, boolean readOnly) throws MemberOpenException;

    /** The name in the one spelling that identifies the member (how two names are compared). */
    default String canonical(String member) {
        return member;
    }
}
